// Reason mapping at our own client seam; the real-protocol paths are in test/integration.
import t from 'tap'
import { reachableCheck, registeredCheck } from '../../src/kafka/checks'
import type { KafkaTarget } from '../../src/config/resolve'
import { classify } from '../../src/kafka/kafkajs-client'
import { FakeBrokerClient } from '../helpers/fakes'

const target = (brokerId?: number, minBrokers = 1): KafkaTarget =>
  ({ address: 'kafka-1:9092', host: 'kafka-1', port: 9092, brokerId, minBrokers, clientId: 'x', tls: undefined, sasl: undefined })
const signal = new AbortController().signal

t.test('reachable maps client failures to bounded reasons', async (t) => {
  const client = new FakeBrokerClient()
  const check = reachableCheck({ client, target: target() })
  t.match(await check.run(signal), { ok: true, reason: 'OK', message: 'broker kafka-1:9092 answers the Kafka protocol' })
  const cases = [['unreachable', 'KAFKA_UNREACHABLE'], ['protocol', 'KAFKA_PROTOCOL_ERROR'], ['aborted', 'TIMEOUT']] as const
  for (const [kind, reason] of cases) {
    client.error = { kind, message: 'boom' }
    t.match(await check.run(signal), { ok: false, reason, message: 'broker kafka-1:9092: boom' }, kind)
  }
})

t.test('TLS and auth refusals keep liveness up and fail readiness', async (t) => {
  const client = new FakeBrokerClient()
  for (const [kind, reason] of [['tls', 'KAFKA_TLS'], ['auth', 'KAFKA_AUTH']] as const) {
    client.error = { kind, message: 'certificate has expired' }
    t.match(await reachableCheck({ client, target: target() }).run(signal), { ok: true, message: /answers, but refused the agent's/ }, kind)
    t.match(await registeredCheck({ client, target: target() }).run(signal), { ok: false, reason }, kind)
  }
})

t.test('registered: the id must be listed and enough brokers present', async (t) => {
  const client = new FakeBrokerClient()
  const counts: Array<number | undefined> = []
  const run = async (brokerId?: number, min?: number) =>
    await registeredCheck({ client, target: target(brokerId, min), onBrokerCount: (n) => { counts.push(n) } }).run(signal)

  t.match(await run(2, 3), { ok: true, message: 'broker id 2 registered; 3 brokers (1,2,3)' })
  t.match(await run(undefined, 1), { ok: true, message: 'cluster registered; 3 brokers (1,2,3)' })
  t.match(await run(5), { ok: false, reason: 'BROKER_NOT_REGISTERED', message: 'broker id 5 is not in the cluster metadata (brokers: 1,2,3)' })
  t.match(await run(1, 4), { ok: false, reason: 'TOO_FEW_BROKERS', message: '3 brokers in the cluster metadata, need at least 4 (brokers: 1,2,3)' })
  client.brokers = []
  t.match(await run(undefined, 1), { ok: false, reason: 'TOO_FEW_BROKERS', message: '0 brokers in the cluster metadata, need at least 1 (brokers: none)' })
  client.error = { kind: 'unreachable', message: 'refused' }
  t.match(await run(1), { ok: false, reason: 'KAFKA_UNREACHABLE' })
  t.same(counts, [3, 3, 3, 3, 0, undefined], 'the broker count is withdrawn when the broker did not answer')
  const ok = await registeredCheck({ client: new FakeBrokerClient(), target: target(1) }).run(signal)
  t.same(ok.details?.brokerId, 1)
})

t.test('an error of our own client (not the broker\'s answer) keeps liveness up and fails readiness (issue 11 #4)', async (t) => {
  const broken = new FakeBrokerClient()
  const bug = async (): Promise<never> => { throw new TypeError('Cannot read properties of undefined (reading \'send\')') }
  broken.ping = bug
  broken.clusterMetadata = bug
  t.match(await reachableCheck({ client: broken, target: target() }).run(signal), { ok: true, message: /^broker state unknown: KAFKA_CLIENT_ERROR: broker kafka-1:9092: Cannot read properties/ })
  t.match(await registeredCheck({ client: broken, target: target() }).run(signal), { ok: false, reason: 'KAFKA_CLIENT_ERROR' })
  const client = new FakeBrokerClient()
  client.error = { kind: 'client', message: 'bad argument' }
  t.match(await reachableCheck({ client, target: target() }).run(signal), { ok: true, message: /readiness reports it/ })
  t.match(await registeredCheck({ client, target: target() }).run(signal), { ok: false, reason: 'KAFKA_CLIENT_ERROR', message: 'broker kafka-1:9092: bad argument' })
  // The kafkajs adapter sorts JavaScript's own errors from the network's.
  t.match(classify(new TypeError('x')), { kind: 'client' })
  t.match(classify(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })), { kind: 'unreachable' })
  t.match(classify({ name: 'KafkaJSConnectionError', message: 'Connection timeout' }), { kind: 'unreachable' })
})
