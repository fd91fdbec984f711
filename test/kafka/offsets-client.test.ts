// The kafkajs offsets client against librdkafka's mock cluster (real Kafka protocol, 3 brokers):
// what one sample asks of which broker, how errors are classified, and that a hung broker
// costs a call no more than its signal allows and the client recovers by itself.
import t from 'tap'
import { Kafka, logLevel } from 'kafkajs'
import { createKafkajsOffsetsClient, type OffsetsClient } from '../../src/kafka/seam'
import type { Tap } from '../helpers/real-kafka'
import { createLogger } from '../../src/log/logger'
import { freePort } from '../helpers/cli'
import { MockCluster } from '../helpers/mock-cluster'

const OFFSET_FETCH = 9

/** A client bootstrapped from broker 1 of `mc`, recording the APIs it sends, closed at teardown. */
function clientOf (t: Tap, mc: MockCluster): { client: OffsetsClient, apis: string[] } {
  const apis: string[] = []
  const client = createKafkajsOffsetsClient({
    access: { brokers: [mc.address(1)], clientId: 'healthz', tls: undefined, sasl: undefined },
    timeoutMs: 2000,
    logger: createLogger('silent'),
    onRequest: (api) => { apis.push(api) },
  })
  t.teardown(client.close)
  return { client, apis }
}

t.test('a sample: end offsets per leader, committed offsets per group, bounded by a signal, recovering', async (t) => {
  const mc = await MockCluster.start(3)
  t.teardown(async () => { await mc.stop() })
  await mc.topic('orders', 6, 3)
  for (let p = 0; p < 6; p++) await mc.leader('orders', p, (p % 3) + 1)
  const kafka = new Kafka({ clientId: 'test', brokers: [...mc.addresses], logLevel: logLevel.NOTHING, connectionTimeout: 5000 })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic: 'orders', messages: [0, 1, 2, 3, 4, 5, 0, 1].map((partition) => ({ partition, value: 'x' })) })
  await producer.disconnect()
  const { client, apis } = clientOf(t, mc)
  const signal = (): AbortSignal => AbortSignal.timeout(3000)

  const ends = await client.endOffsets(['orders'], signal())
  t.same([...ends].sort((a, b) => a.partition - b.partition).map((e) => e.offset), [2, 2, 1, 1, 1, 1], 'every partition of the topic (the mock creates any topic asked for, so no unknown one here)')
  const committed = await client.committedOffsets(['connect-orders-sink', 'connect-idle'], signal())
  // librdkafka's mock answers OffsetFetch for a null topic list (every topic, as Kafka does since
  // v2) with no topics: what the groups committed is checked against real Kafka
  // (test/real/sink-progress.test.ts, lag and OK/STALLED). Here: one list per group asked.
  t.same([...committed.keys()], ['connect-orders-sink', 'connect-idle'])
  t.same(committed.get('connect-idle'), [], 'a group that committed nothing: an empty list')

  // A second sample, counted: no request per partition.
  apis.length = 0
  await client.committedOffsets(['connect-orders-sink', 'connect-idle'], signal())
  await client.endOffsets(['orders'], signal())
  const count = (api: string): number => apis.filter((a) => a === api).length
  t.equal(count('OffsetFetch'), 2, 'one OffsetFetch per group')
  t.equal(count('ListOffsets'), 3, 'one ListOffsets per leader (3), not per partition (6)')
  t.equal(count('Metadata'), 1)
  t.equal(count('FindCoordinator'), 0, 'coordinators are remembered')

  // A coordinator that says it no longer is (NOT_COORDINATOR): that group is unknown this
  // sample, no throw for every group, and its coordinator is found again.
  for (let id = 1; id <= 3; id++) await mc.error(id, OFFSET_FETCH, 16)
  t.notOk((await client.committedOffsets(['connect-orders-sink'], signal())).has('connect-orders-sink'), 'left out of this sample')
  apis.length = 0
  t.ok((await client.committedOffsets(['connect-orders-sink'], signal())).has('connect-orders-sink'), 'answers again')
  t.ok(count('FindCoordinator') >= 1, 'after asking FindCoordinator again')

  // Every broker hangs: the call ends with its signal, not kafkajs's timers.
  for (let id = 1; id <= 3; id++) await mc.rtt(id, 10_000)
  const t0 = performance.now()
  await t.rejects(client.endOffsets(['orders'], AbortSignal.timeout(300)), { name: 'BrokerError', kind: 'aborted' })
  t.ok(performance.now() - t0 < 1000, `ended after ${Math.round(performance.now() - t0)}ms`)
  for (let id = 1; id <= 3; id++) await mc.rtt(id, 0)
  t.equal((await client.endOffsets(['orders'], signal())).length, 6, 'recovers by itself once the brokers answer')

  // Group states: the mock may not speak DescribeGroups; either way the answer is classified.
  try {
    const states = await client.groupStates(['connect-orders-sink'], signal())
    t.ok(states instanceof Map)
  } catch (err) {
    t.match(err, { name: 'BrokerError', kind: /protocol|unreachable/ })
  }
})

t.test('committed offsets and group states asked together: one FindCoordinator per group', async (t) => {
  const mc = await MockCluster.start(3)
  t.teardown(async () => { await mc.stop() })
  const { client, apis } = clientOf(t, mc)
  const groups = ['connect-a', 'connect-b', 'connect-c']
  // As the sink progress check samples: both at once (the mock may not speak DescribeGroups).
  await Promise.all([
    client.committedOffsets(groups, AbortSignal.timeout(3000)),
    client.groupStates(groups, AbortSignal.timeout(3000)).catch(() => new Map()),
  ])
  t.equal(apis.filter((a) => a === 'FindCoordinator').length, groups.length, 'the lookup in flight is shared')
  t.equal(apis.filter((a) => a === 'OffsetFetch').length, groups.length)
})

t.test('no broker at the bootstrap address: unreachable, never a crash', async (t) => {
  const port = await freePort()
  const client = createKafkajsOffsetsClient({ access: { brokers: [`127.0.0.1:${port}`], clientId: 'x', tls: undefined, sasl: undefined }, timeoutMs: 500, logger: createLogger('silent') })
  t.teardown(client.close)
  await t.rejects(client.committedOffsets(['g'], AbortSignal.timeout(2000)), { name: 'BrokerError', kind: 'unreachable' })
  t.same(await client.endOffsets([], AbortSignal.timeout(2000)).catch(() => 'failed'), [], 'no topics: nothing to ask')
})
