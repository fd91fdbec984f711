// Self-healing (--connect-restart-failed) at the check level: the real connectors check and
// evaluation, a fake client, and a fake monotonic clock, so backoff is exact and no test sleeps.
import t from 'tap'
import { Registry } from 'prom-client'
import { connectorsCheck, type ConnectSink } from '../../src/connect/checks'
import type { ConnectorVerdict } from '../../src/connect/evaluate'
import type { RestartResult } from '../../src/connect/restart'
import { ConnectError } from '../../src/connect/client'
import { ConfigError } from '../../src/config/parse-options'
import { createLogger } from '../../src/log/logger'
import { createConnectMetrics } from '../../src/connect/metrics'
import { configFrom, LogSink } from '../helpers/agent'
import { FakeConnectClient } from '../helpers/fake-connect-client'

const S = 1000
const HEAL = ['--connect-worker-id', 'w1:8083', '--connect-restart-failed', '--connect-restart-max-backoff', '2m']

function setup (argv: string[] = HEAL, timeoutMs = 1000) {
  const client = new FakeConnectClient()
  const clock = { now: 0 }
  const restarted: Array<[string, RestartResult]> = []
  const gaveUp: number[] = []
  const sink: ConnectSink = {
    workerUp: () => {},
    connectors: () => {},
    restarted: (connector, result) => { restarted.push([connector, result]) },
    givenUp: (n) => { gaveUp.push(n) },
  }
  const logs = new LogSink()
  const target = configFrom(['--connect-url', 'http://127.0.0.1:1', ...argv]).connect
  if (target === undefined) throw new Error('no Connect target')
  const check = connectorsCheck({ client, target, now: () => clock.now, timeoutMs, sink, logger: createLogger('debug', logs) })
  const run = async () => {
    const r = await check.run(new AbortController().signal)
    return { ...r, connectors: r.details?.connectors as ConnectorVerdict[] | undefined }
  }
  /** Runs at each of these clock readings (ms) and returns how many restarts each run sent. */
  const runAt = async (...times: number[]): Promise<number[]> => {
    const sent: number[] = []
    for (const time of times) {
      clock.now = time
      const before = client.restarts.length
      await run()
      sent.push(client.restarts.length - before)
    }
    return sent
  }
  return { client, clock, run, runAt, restarted, gaveUp, logs }
}

t.test('self-heal restarts a FAILED task with backoff, but never a PAUSED one', async (t) => {
  const { client, run, runAt, clock, restarted, gaveUp, logs } = setup()
  client.add('orders', 'RUNNING', [['RUNNING'], ['FAILED']])
  client.add('paused', 'PAUSED', [['PAUSED'], ['FAILED']])
  client.add('stopped', 'STOPPED', [])

  const first = await run()
  t.same(client.restarts, ['orders'], 'the FAILED task is restarted at once; the PAUSED connector is not')
  t.match(first, { ok: false, reason: 'CONNECTOR_FAILED' }, 'the run still reports what the worker said: FAILED')
  t.match(first.message, 'orders task 1 FAILED on w1:8083')
  t.match(first.message, '(self-healing: orders restart 1/5 requested, next in 30s if still FAILED; paused not restarted while the connector is PAUSED)')
  t.match(first.connectors?.find((c) => c.name === 'orders')?.restart, { attempts: 1, maxAttempts: 5, last: 'requested', nextInMs: 30 * S, gaveUp: false })

  // Backoff: 30 s, 60 s, 120 s, then capped at --connect-restart-max-backoff (2 m).
  t.same(await runAt(29_999, 30 * S), [0, 1], 'second restart after 30 s, not a millisecond before')
  t.same(await runAt(89_999, 90 * S), [0, 1], 'third after 60 s more')
  t.same(await runAt(209_999, 210 * S), [0, 1], 'fourth after 120 s more')
  t.same(await runAt(329_999, 330 * S), [0, 1], 'fifth after 120 s more: the wait is capped')
  t.match((await run()).message, 'orders restart 5/5 requested, the last one')
  t.same(await runAt(450 * S, 1000 * S, 5000 * S), [0, 0, 0], 'still FAILED after 5 restarts: it gives up and stays given up')
  t.match((await run()).message, 'orders gave up after 5 restarts; restart it by hand')
  t.equal(gaveUp.at(-1), 1, 'the given-up gauge counts it')
  t.equal(logs.lines.filter((l) => l.includes('giving up')).length, 1, 'giving up is logged once')
  t.equal(logs.lines.filter((l) => l.includes('"level":"info"') && /restart \d\/5 of connector orders requested/.test(l)).length, 5, 'each restart logged once, at info')
  t.same(restarted, Array.from({ length: 5 }, () => ['orders', 'requested']))
  t.same(client.restarts.filter((n) => n !== 'orders'), [], 'PAUSED and STOPPED were never restarted')

  // Someone fixes it by hand. Healthy for less than the max backoff: still given up.
  client.set('orders', 'RUNNING')
  clock.now = 6000 * S
  t.match((await run()).connectors?.find((c) => c.name === 'orders'), { healthy: true })
  client.set('orders', 'FAILED')
  t.same(await runAt(6060 * S), [0], 'a failure soon after does not restart it yet')
  // Healthy for 2 m: the count starts over, and a new failure is restarted at once.
  client.set('orders', 'RUNNING')
  t.same(await runAt(7000 * S, 7120 * S), [0, 0])
  t.match(logs.text, 'connector orders has run healthy for 2m: its restart count starts over')
  client.set('orders', 'FAILED')
  t.same(await runAt(7121 * S), [1])
  t.match((await run()).message, 'orders restart 1/5 requested')
  t.equal(gaveUp.at(-1), 0)
})

t.test('disabled by default: nothing is ever restarted', async (t) => {
  const { client, runAt } = setup([])
  client.add('a', 'FAILED', [['FAILED']])
  t.same(await runAt(0, 60 * S, 3600 * S), [0, 0, 0])
  const { client: scoped, runAt: runScoped } = setup(['--connect-worker-id', 'w1:8083'])
  scoped.add('a', 'FAILED', [['FAILED']])
  t.same(await runScoped(0, 60 * S), [0, 0], 'worker scoping alone does not turn it on')
})

t.test('only what is FAILED on this worker, and only while the connector is RUNNING or FAILED', async (t) => {
  const { client, run } = setup()
  client.add('task-elsewhere', 'RUNNING', [['RUNNING', 'w1:8083'], ['FAILED', 'w2:8083']])
  client.add('connector-elsewhere', 'FAILED', [['RUNNING', 'w1:8083']], 'w2:8083')
  client.add('all-elsewhere', 'FAILED', [['FAILED', 'w2:8083']], 'w2:8083')
  client.add('connector-here', 'FAILED', [['RUNNING', 'w2:8083']])
  client.add('rebalancing', 'UNASSIGNED', [['FAILED']])
  client.add('restarting', 'RESTARTING', [['FAILED']])
  client.add('future-state', 'DEGRADED', [['FAILED']])
  client.add('not-failed', 'RUNNING', [['UNASSIGNED'], ['PAUSED'], ['RESTARTING']])
  const r = await run()
  t.same(client.restarts, ['connector-here'], 'only the connector instance FAILED on w1')
  t.match(r.message, 'rebalancing not restarted while the connector is UNASSIGNED')
  t.match(r.message, 'restarting not restarted while the connector is RESTARTING')
  t.notMatch(r.message, 'task-elsewhere', 'a task FAILED on another worker is that pod\'s to restart')
})

t.test('readiness stays failed until the connector is RUNNING again, grace or not', async (t) => {
  const { client, run, clock } = setup()
  client.add('a', 'RUNNING', [['FAILED']])
  t.match(await run(), { ok: false, reason: 'CONNECTOR_FAILED' })
  client.set('a', 'RESTARTING')
  clock.now = 1 * S
  const restarting = await run()
  t.match(restarting, { ok: false, reason: 'CONNECTOR_RESTARTING' }, 'RESTARTING after our restart gets no transition grace')
  t.match(restarting.message, 'a task 0 RESTARTING on w1:8083 (restarted; not RUNNING yet)')
  t.match(restarting.message, 'self-healing: a restart 1/5 requested, waiting for RUNNING')
  client.set('a', 'RUNNING')
  clock.now = 2 * S
  const running = await run()
  t.match(running, { ok: true, message: '1 connector healthy' })
  t.match(running.connectors?.[0]?.restart, { attempts: 1, note: 'healthy again after 1 restart; the count starts over once healthy for 2m' })
  client.set('a', 'RESTARTING')
  clock.now = 3 * S
  t.match(await run(), { ok: true }, 'once RUNNING was seen, a later rebalance gets its grace again')
})

t.test('a connector that fails again soon after each restart keeps backing off', async (t) => {
  const { client, runAt, clock, run } = setup()
  client.add('flappy', 'RUNNING', [['FAILED']])
  t.same(await runAt(0), [1])
  client.set('flappy', 'RUNNING')
  t.same(await runAt(5 * S), [0])
  client.set('flappy', 'FAILED')
  t.same(await runAt(10 * S, 29 * S, 30 * S), [0, 0, 1], 'the second restart still waits for its 30 s')
  clock.now = 31 * S
  t.match((await run()).message, 'flappy restart 2/5 requested, next in 59s if still FAILED')
})

t.test('worker answers: 409 is retried without using an attempt; errors use one and back off; 404 forgets', async (t) => {
  const { client, run, runAt, restarted, logs } = setup()
  client.add('a', 'RUNNING', [['FAILED']])
  client.restartAnswers.push('rebalancing', 'rebalancing')
  t.match((await run()).message, 'a restart refused (a rebalance is under way), asking again next run')
  t.same(await runAt(1), [1], 'asked again at the next run')
  t.same(await runAt(2), [1])
  t.match((await run()).message, 'a restart 1/5 requested')
  t.same(restarted.map(([, r]) => r), ['rebalancing', 'rebalancing', 'requested'])

  const { client: c2, run: run2, runAt: at2, logs: logs2, restarted: r2 } = setup()
  c2.add('b', 'FAILED', [])
  c2.restartAnswers.push(new ConnectError('auth', 'connector_restart: HTTP 403 from the worker; check the Connect credentials'), new ConnectError('http', 'connector_restart: HTTP 500: Request timed out'))
  t.match((await run2()).message, 'b restart 1/5 failed (AUTH: connector_restart: HTTP 403 from the worker; check the Connect credentials (may these credentials restart connectors?)), next in 30s if still FAILED')
  t.same(await at2(29_999, 30 * S), [0, 1], 'a failed restart counts and backs off')
  t.match((await run2()).connectors?.[0]?.restart, { attempts: 2, last: 'failed (CONNECT_HTTP_ERROR: connector_restart: HTTP 500: Request timed out)' })
  t.same(r2.map(([, r]) => r), ['failed', 'failed'])
  t.equal(logs2.lines.filter((l) => l.includes('"level":"warn"') && l.includes('restart 1/5 of connector b failed')).length, 1)

  c2.restartAnswers.push('gone')
  t.same(await at2(90 * S), [1])
  t.match((await run2()).message, 'b restart 1/5 requested', 'after a 404 the episode starts over')
  t.notMatch(logs.text, 'password')
})

t.test('a worker older than Kafka 3.0 (204): counted as requested, and said once per restart', async (t) => {
  const { client, run, logs } = setup()
  client.add('a', 'RUNNING', [['FAILED']])
  client.restartAnswers.push('legacy')
  t.match((await run()).message, 'a restart 1/5 requested (worker older than Kafka 3.0: connector instance only)')
  t.equal(logs.lines.filter((l) => l.includes('older than Kafka 3.0')).length, 1)
})

t.test('restarts stay inside the run\'s deadline', async (t) => {
  const { client, run } = setup(HEAL, 200)
  client.add('a', 'RUNNING', [['FAILED']])
  client.add('b', 'RUNNING', [['FAILED']])
  client.restartAnswers.push('hang')
  const started = performance.now()
  const r = await run()
  const took = performance.now() - started
  // Not a latency assertion (CI machines are loaded): the hung restart was cut by the run's own
  // bound, not left to hang. The message below says which bound ended it.
  t.ok(took < 2000, `the hung restart did not hang the run (${Math.round(took)}ms, deadline 200ms)`)
  t.match(r, { ok: false, reason: 'CONNECTOR_FAILED' }, 'a hung restart does not turn the verdict into a TIMEOUT')
  t.match(r.message, 'a restart 1/5 failed (TIMEOUT: deadline passed)')
  t.match(r.message, 'b restart due, deferred to the next run (this one ran out of time)')
  t.same(client.restarts, ['a'], 'one at a time: b was not sent')

  const slow = setup(HEAL, 200)
  slow.client.add('a', 'RUNNING', [['FAILED']])
  slow.client.statusDelayMs = 190
  t.match((await slow.run()).message, 'a restart due, deferred to the next run')
  t.same(slow.client.restarts, [], 'status calls that used the deadline leave restarts for the next run')
})

t.test('the message names five connectors; connectors gone from the list are forgotten', async (t) => {
  const { client, run, runAt } = setup()
  for (let i = 0; i < 7; i++) client.add(`c${i}`, 'FAILED', [])
  const r = await run()
  t.equal(client.restarts.length, 7)
  t.match(r.message, /\(self-healing: c0 restart 1\/5 requested, .*; c4 restart 1\/5 requested, next in 30s if still FAILED; \+2 more\)$/)
  client.connectors.delete('c0')
  t.same(await runAt(10 * S), [0])
  client.add('c0', 'FAILED', [])
  t.same(await runAt(11 * S), [1], 'a connector deleted and created again starts a new count')
})

t.test('config: opt-in, needs worker scoping, sane backoff', async (t) => {
  const connect = (argv: string[]) => configFrom(['--connect-url', 'http://127.0.0.1:1', ...argv]).connect!
  t.equal(connect([]).restart, undefined, 'read-only by default')
  t.same(connect(['--connect-restart-failed', '--connect-worker-id', 'auto']).restart, { backoffMs: 30_000, maxBackoffMs: 600_000, maxAttempts: 5 })
  t.same(connect(['--connect-restart-failed', '--connect-worker-id', 'w:1', '--connect-restart-backoff', '1s', '--connect-restart-max-backoff', '1s', '--connect-restart-max-attempts', '1']).restart,
    { backoffMs: 1000, maxBackoffMs: 1000, maxAttempts: 1 })
  t.throws(() => connect(['--connect-restart-failed']), new ConfigError('--connect-restart-failed: got true, expected --connect-worker-id too (host:port or auto), so that only the pod running a FAILED connector or task restarts it, not every pod at once'))
  t.throws(() => connect(['--connect-restart-failed', '--connect-worker-id', 'w:1', '--connect-restart-backoff', '5m', '--connect-restart-max-backoff', '1m']),
    new ConfigError('--connect-restart-max-backoff: got 1m, expected at least --connect-restart-backoff (5m)'))
  t.throws(() => connect(['--connect-restart-backoff', '10ms']), /--connect-restart-backoff: got "10ms", expected a duration/)
  t.throws(() => connect(['--connect-restart-max-attempts', '0']), /--connect-restart-max-attempts: got "0", expected an integer from 1 to 1000/)
})

t.test('metrics: restarts by connector and result, the connector label capped like the other series', async (t) => {
  const registry = new Registry()
  const m = createConnectMetrics('x_', registry, 2)
  m.restarted('a', 'requested')
  m.restarted('b', 'failed')
  m.restarted('c', 'requested')
  m.restarted('a', 'requested')
  m.restarted('d', 'rebalancing')
  m.givenUp(3)
  const text = await registry.metrics()
  t.match(text, 'x_connect_restarts_total{connector="a",result="requested"} 2')
  t.match(text, 'x_connect_restarts_total{connector="b",result="failed"} 1')
  t.match(text, 'x_connect_restarts_total{connector="",result="requested"} 1', 'c is past the cap')
  t.match(text, 'x_connect_restarts_total{connector="",result="rebalancing"} 1')
  t.notMatch(text, /connector="[cd]"/)
  t.match(text, 'x_connect_restarts_given_up 3')
})
