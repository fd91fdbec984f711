// The worker checks on their own, against a scripted client: which /health stages read as
// waiting on Kafka, how long liveness holds then, and how long readiness waits.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { ConnectError, type ConnectClient, type WorkerHealth } from '../../src/connect/client'
import { connectWorkerChecks, waitsOnKafka } from '../../src/connect/worker'
import type { Check } from '../../src/core/check'

const unhealthy = (message: string): WorkerHealth => ({ status: 'unhealthy', message, legacy: false })
const at = (stage: string): WorkerHealth => unhealthy(`Worker was unable to handle this request and may be unable to handle other requests. The worker is currently ${stage}, which began at 2026-11-24T20:12:12.511Z.`)

t.test('waitsOnKafka: the stages that wait on Kafka, anchored on Connect\'s wording', async (t) => {
  const kafka = [
    'ensuring membership in the cluster',
    'polling the group coordinator for up to 1000ms or until interrupted',
    'initializing and reading to the end of internal topics',
    'reading to the end of the config topic',
    'reclaiming write privileges for the config topic',
    'writing a config for connector orders-sink to the config topic',
    'writing the STOPPED target stage for connector orders-sink to the config topic',
    'flushing updates to the status topic',
    'sleeping for a backoff duration of 250ms',
  ]
  for (const stage of kafka) t.ok(waitsOnKafka(at(stage)), stage)
  const own = [
    'stopping connector orders-sink',
    'starting 3 connector(s) and task(s) after a rebalance',
    'generating task configs for connector orders-sink',
    // A connector's name holding a Kafka stage's words does not make its own stage Kafka's.
    'stopping connector x ensuring membership in the cluster',
    'restarting task ensuring membership in the cluster-0',
  ]
  for (const stage of own) t.notOk(waitsOnKafka(at(stage)), stage)
  t.notOk(waitsOnKafka(unhealthy('Worker was unable to handle this request and may be unable to handle other requests. The last operation the worker completed was polling the group coordinator for up to 1000ms or until interrupted, which began at 2026-11-24T20:12:12.511Z and completed at 2026-11-24T20:12:13.511Z.')),
    'a completed stage says nothing of what the herder is stuck in now')
  t.notOk(waitsOnKafka({ status: 'starting', message: 'ensuring membership in the cluster', legacy: false }), 'only an unhealthy answer')
  t.notOk(waitsOnKafka(unhealthy(`${'x'.repeat(2000)} The worker is currently ensuring membership in the cluster, which began at now.`)), 'only the first KiB is read')
})

/** A client whose /health answers with `answer` after `delayMs`, and whose GET / answers. */
function client (state: { answer: WorkerHealth, delayMs: number }): ConnectClient {
  return {
    health: async (signal) => {
      await sleep(state.delayMs, undefined, { signal }).catch(() => undefined)
      return state.answer
    },
    root: async () => { await Promise.resolve() },
    connectorStatuses: async () => await Promise.resolve([]),
    connectorTasksMax: async () => await Promise.resolve(new Map()),
    sinkConfigs: async () => await Promise.resolve(new Map()),
    restartConnector: async () => await Promise.resolve('accepted' as const),
    close: async () => { await Promise.resolve() },
  }
}

async function run (check: Check, timeoutMs: number): Promise<{ ok: boolean, message: string }> {
  return await check.run(AbortSignal.timeout(timeoutMs))
}

t.test('liveness holds while the herder waits on Kafka, for --connect-kafka-wait; a healthy answer starts the count again', async (t) => {
  const state = { answer: at('ensuring membership in the cluster'), delayMs: 0 }
  let clock = 0
  const [live] = connectWorkerChecks({ client: client(state), timeoutMs: 200, now: () => clock, kafkaWaitMs: 600_000 })
  if (live === undefined) throw new Error('no liveness check')
  t.match(await run(live, 200), { ok: true, message: /^worker waits on Kafka/ })
  clock = 600_000
  t.match(await run(live, 200), { ok: true }, '10 minutes: still within the wait')
  clock = 600_001
  t.match(await run(live, 200), { ok: false, message: /^worker has waited on Kafka for 600001ms, longer than --connect-kafka-wait \(10m\): Worker was unable/ })
  state.answer = { status: 'starting', message: 'Worker is still starting up.', legacy: false }
  t.match(await run(live, 200), { ok: true }, 'restarted: starting is live')
  state.answer = at('ensuring membership in the cluster')
  clock = 700_000
  t.match(await run(live, 200), { ok: true }, 'a new wait counts from its own start')
})

t.test('--connect-kafka-wait 0 (the default): liveness holds for as long as the herder waits on Kafka', async (t) => {
  const state = { answer: at('ensuring membership in the cluster'), delayMs: 0 }
  let clock = 0
  const [live] = connectWorkerChecks({ client: client(state), timeoutMs: 200, now: () => clock, kafkaWaitMs: 0 })
  if (live === undefined) throw new Error('no liveness check')
  t.match(await run(live, 200), { ok: true })
  clock = 24 * 3600_000
  t.match(await run(live, 200), { ok: true, message: /^worker waits on Kafka/ }, 'a day later: still live')
})

t.test('after the restart --connect-kafka-wait caused, liveness holds until the worker is healthy: never a loop', async (t) => {
  const state: { answer: WorkerHealth, delayMs: number, down: boolean } = { answer: at('ensuring membership in the cluster'), delayMs: 0, down: false }
  let clock = 0
  const c = client(state)
  const health = c.health
  c.health = async (signal, waitMs) => {
    if (state.down) throw new ConnectError('unreachable', 'connect ECONNREFUSED 127.0.0.1:8083')
    return await health(signal, waitMs)
  }
  const [live] = connectWorkerChecks({ client: c, timeoutMs: 200, now: () => clock, kafkaWaitMs: 60_000 })
  if (live === undefined) throw new Error('no liveness check')
  t.match(await run(live, 200), { ok: true })
  clock = 61_000
  t.match(await run(live, 200), { ok: false, message: /longer than --connect-kafka-wait/ }, 'over the bound: not live, once')
  state.down = true
  await run(live, 200)
  state.down = false
  clock = 200_000
  t.match(await run(live, 200), { ok: true, message: /^worker waits on Kafka/ }, 'restarted and still waiting on Kafka: live')
  clock = 400_000
  t.match(await run(live, 200), { ok: true }, 'and stays live: one restart per outage at most')
  state.answer = { status: 'healthy', message: '', legacy: false }
  await run(live, 200)
  state.answer = at('ensuring membership in the cluster')
  clock = 500_000
  await run(live, 200)
  clock = 561_000
  t.match(await run(live, 200), { ok: false }, 'healthy in between: the bound applies to the next wait again')
})

t.test('readiness waits for a slow but healthy /health; liveness asks GET / meanwhile', async (t) => {
  const state = { answer: { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.', legacy: false } as WorkerHealth, delayMs: 140 }
  const [live, ready] = connectWorkerChecks({ client: client(state), timeoutMs: 200, now: () => 0, kafkaWaitMs: 600_000 })
  if (live === undefined || ready === undefined) throw new Error('no checks')
  t.match(await run(ready, 200), { ok: true }, '/health at 0.7 of the deadline: ready')
  t.match(await run(live, 200), { ok: true, message: /^worker answers GET \/; its herder is busy/ }, 'liveness waited half, then asked GET /')
})
