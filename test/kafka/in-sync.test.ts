// The in-sync check and the cluster view at our own client seam: no mock broker can shrink an
// ISR or answer DescribeConfigs, so these cases drive FakeBrokerClient.
import t from 'tap'
import { ClusterViewStore, clusterCounts, inSyncCheck, stopRisk, type ClusterView, type InSyncDeps } from '../../src/kafka/in-sync'
import { FakeBrokerClient, partition } from '../helpers/fakes'

function setup (over: Partial<InSyncDeps> = {}): { client: FakeBrokerClient, store: ClusterViewStore, clock: { t: number }, deps: InSyncDeps } {
  const client = new FakeBrokerClient()
  const store = new ClusterViewStore()
  const clock = { t: 1000 }
  const deps: InSyncDeps = { client, address: 'kafka-2:9092', brokerId: 2, excludeTopics: [], startupGraceMs: 0, defaultMinIsr: 2, now: () => clock.t, store, ...over }
  return { client, store, clock, deps }
}
const signal = (): AbortSignal => new AbortController().signal

t.test('out of the ISR of one partition: fails naming it; back in: passes', async (t) => {
  const { client, deps } = setup()
  client.partitions = [partition('orders', 0, [1, 2, 3]), partition('orders', 1, [2, 3, 1]), partition('audit', 0, [1, 3])]
  const check = inSyncCheck(deps)
  const ok = await check.run(signal())
  t.equal(ok.ok, true)
  t.equal(ok.message, 'broker 2 is in the ISR of all 2 partitions it replicates')

  client.partitions[1] = partition('orders', 1, [2, 3, 1], [3, 1])
  const behind = await check.run(signal())
  t.equal(behind.ok, false)
  t.equal(behind.reason, 'BROKER_NOT_IN_SYNC')
  t.equal(behind.message, 'broker 2 is out of the ISR of 1 of 2 partitions it replicates: orders-1')
  t.same(behind.details?.outOfSync, ['orders-1'])

  client.partitions[1] = partition('orders', 1, [2, 3, 1], [3, 1, 2])
  t.equal((await check.run(signal())).ok, true)
})

t.test('a topic left out is ignored, by name or glob', async (t) => {
  const { client, deps } = setup({ excludeTopics: ['scratch', '__tmp*'] })
  client.partitions = [partition('scratch', 0, [2, 1], [1]), partition('__tmp_x', 0, [2], []), partition('orders', 0, [2, 1])]
  const r = await inSyncCheck(deps).run(signal())
  t.equal(r.ok, true, r.message)
  t.equal(r.details?.replicated, 1)
})

t.test('many partitions behind: the message stays one line', async (t) => {
  const { client, deps } = setup()
  client.partitions = Array.from({ length: 300 }, (_, i) => partition('big', i, [1, 2], [1]))
  const r = await inSyncCheck(deps).run(signal())
  t.equal(r.message, 'broker 2 is out of the ISR of 300 of 300 partitions it replicates: big-0, big-1, big-2, big-3, big-4, +295 more')
  t.equal((r.details?.outOfSync as string[]).length, 50, 'details are capped too')
})

t.test('startup grace: passes, saying what is behind, then fails', async (t) => {
  const { client, clock, deps } = setup({ startupGraceMs: 30_000 })
  client.partitions = [partition('orders', 0, [1, 2], [1])]
  const check = inSyncCheck(deps)
  clock.t += 10_000
  const during = await check.run(signal())
  t.equal(during.ok, true)
  t.match(during.message, /^startup grace \(20s left\): broker 2 is out of the ISR of 1 of 1/)
  clock.t += 20_001
  t.equal((await check.run(signal())).reason, 'BROKER_NOT_IN_SYNC')
})

t.test('min.insync.replicas from DescribeConfigs, cached; the option when the broker will not say', async (t) => {
  const { client, store, clock, deps } = setup({ configTtlMs: 60_000 })
  client.partitions = [partition('orders', 0, [1, 2, 3]), partition('logs', 0, [1, 2, 3])]
  client.minIsr = new Map([['orders', 3], ['logs', 1]])
  const check = inSyncCheck(deps)
  await check.run(signal())
  t.equal(store.latest?.minIsrSource, 'broker')
  t.equal(store.latest?.minIsr.get('orders'), 3)
  await check.run(signal())
  t.equal(client.describeCalls, 1, 'topic configs are not asked every run')
  client.partitions.push(partition('new', 0, [2]))
  await check.run(signal())
  t.equal(client.describeCalls, 2, 'a new topic refreshes them')

  client.minIsr = { kind: 'protocol', message: 'DescribeConfigs: TOPIC_AUTHORIZATION_FAILED' }
  clock.t += 60_001
  const r = await check.run(signal())
  t.equal(r.ok, true, 'a refusal is not a failure of the check')
  t.equal(store.latest?.minIsrSource, 'option')
  t.equal(store.latest?.minIsr.size, 0)
  t.equal(store.latest?.defaultMinIsr, 2)
})

t.test('an unreachable broker fails the run and clears the view', async (t) => {
  const { client, store, deps } = setup()
  client.partitions = [partition('orders', 0, [1, 2])]
  const check = inSyncCheck(deps)
  await check.run(signal())
  t.not(store.latest, undefined)
  client.error = { kind: 'unreachable', message: 'connect ECONNREFUSED' }
  const r = await check.run(signal())
  t.equal(r.reason, 'KAFKA_UNREACHABLE')
  t.equal(store.latest, undefined)
  t.equal(store.lastError, 'KAFKA_UNREACHABLE: broker kafka-2:9092: connect ECONNREFUSED')
})

const view = (partitions: ClusterView['partitions'], minIsr: Record<string, number> = {}): ClusterView =>
  ({ brokerId: 2, partitions, minIsr: new Map(Object.entries(minIsr)), defaultMinIsr: 2, minIsrSource: 'broker' })

t.test('cluster counts: under-replicated, offline, under min ISR, led, out of sync', async (t) => {
  const v = view([
    partition('a', 0, [1, 2, 3]), // healthy, led by 1
    partition('a', 1, [2, 3, 1], [2, 3]), // under-replicated, led by 2
    partition('a', 2, [3, 1, 2], [3], 3), // under-replicated, under min ISR, 2 out of sync
    partition('b', 0, [1], [], -1), // offline, under min ISR (b: min 1)
  ], { b: 1 })
  t.same(clusterCounts(v), { partitions: 4, underReplicated: 3, offline: 1, underMinIsr: 2, led: 1, replicated: 3, outOfSync: 1 })
})

t.test('stop risk: in the ISR, no member to spare, and a replica still to wait for', async (t) => {
  const v = view([
    partition('a', 0, [1, 2, 3]), // ISR 3, min 2: one to spare
    partition('a', 1, [1, 2, 3], [1, 2]), // ISR 2 = min 2: stopping 2 leaves 1; 3 can catch up
    partition('a', 2, [1, 2, 3], [1, 3]), // 2 not in the ISR: nothing to lose
    partition('b', 0, [2, 1, 3], [2]), // already below min 2, but 1 and 3 can rejoin: wait for them
    partition('c', 0, [2, 1], [2, 1]), // c: min 1 → ISR 2 has one to spare
    partition('d', 0, [2, 1], [2, 1]), // d: RF 2 = min 2, all in sync: nothing to wait for
    partition('e', 0, [2], [2]), // e: RF 1 = min 1: nothing to wait for
    partition('skip', 0, [1, 2, 3], [1, 2]),
  ], { c: 1, d: 2, e: 1 })
  const risk = stopRisk(v, (topic) => topic !== 'skip')
  const names = (ps: ClusterView['partitions']): string[] => ps.map((p) => `${p.topic}-${p.partition}`)
  t.same(names(risk.unsafe), ['a-1', 'b-0'])
  t.same(names(risk.stuck), ['d-0', 'e-0'])
})

t.test('the view store wakes waiters on each update and on abort', async (t) => {
  const seen: Array<ClusterView | undefined> = []
  const store = new ClusterViewStore((v) => { seen.push(v) })
  const ac = new AbortController()
  const waiting = store.next(ac.signal)
  store.update(view([]))
  await waiting
  t.equal(seen.length, 1)
  const aborted = new AbortController()
  const w2 = store.next(aborted.signal)
  aborted.abort()
  await w2
  await store.next(aborted.signal) // already aborted: returns at once
  t.pass('no hang')
})
