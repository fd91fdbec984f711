// Self-healing (--connect-restart-failed) against the Connect REST stand-in, through the real
// undici client. Runs are driven with runCycle() and the agent's monotonic clock is a fake one,
// so backoff is exact and nothing sleeps.
import t from 'tap'
import { createUndiciConnectClient } from '../../src/connect/undici-client'
import { ConnectError } from '../../src/connect/client'
import { createLogger } from '../../src/log/logger'
import { checkOnce } from '../../src/one-shot'
import { configFrom, LogSink, startAgent, type TestAgent } from '../helpers/agent'
import { ConnectStandIn } from '../helpers/connect-stand-in'

const WORKER = '10.0.0.1:8083'
const HEAL = ['--connect-worker-id', WORKER, '--connect-restart-failed']

async function standIn (): Promise<ConnectStandIn> {
  const w = await new ConnectStandIn(WORKER).start()
  w.add('orders-sink', { tasks: 2 })
  w.add('audit', { tasks: 1 })
  return w
}

async function agentFor (w: ConnectStandIn, extra: string[], clock: { now: number }): Promise<TestAgent> {
  const config = configFrom(['--connect-url', w.url, '--interval', '1m', '--timeout', '2s', '--failure-threshold', '1', ...extra])
  return await startAgent(config, { monotonic: () => clock.now }, { start: false })
}

t.test('self-heal restarts a FAILED task with backoff, but never a PAUSED one', async (t) => {
  const w = await standIn()
  t.teardown(async () => { await w.stop() })
  const clock = { now: 0 }
  const a = await agentFor(w, HEAL, clock)
  t.teardown(a.close)
  const readyz = async (at: number): Promise<{ status: number, body: string }> => {
    clock.now = at
    await a.agent.runner.runCycle()
    const res = await a.app.inject({ url: '/readyz' })
    return { status: res.statusCode, body: res.body }
  }
  t.equal((await readyz(0)).status, 200)
  t.same(w.restarts, [])

  // A task fails; the worker, once asked, restarts it, and it stays RESTARTING for a while.
  w.restartTo = 'RESTARTING'
  w.setTask('orders-sink', 1, 'FAILED', 'org.apache.kafka.connect.errors.ConnectException: sink down\n\tat X.y(X.java:1)')
  const failed = await readyz(1000)
  t.equal(failed.status, 503)
  t.match(failed.body, 'CONNECTOR_FAILED: 1 of 2 connectors unhealthy: orders-sink task 1 FAILED on 10.0.0.1:8083: org.apache.kafka.connect.errors.ConnectException: sink down')
  t.match(failed.body, '(self-healing: orders-sink restart 1/5 requested, next in 30s if still FAILED)')
  t.same(w.restarts, [{ name: 'orders-sink', query: 'includeTasks=true&onlyFailed=true' }], 'one POST, for the FAILED instances only')
  t.equal(w.connectors.get('orders-sink')?.tasks[0]?.state, 'RUNNING', 'the RUNNING task was left alone')

  const restarting = await readyz(2000)
  t.equal(restarting.status, 503, 'readiness stays failed while the task is RESTARTING, transition grace or not')
  t.match(restarting.body, 'CONNECTOR_RESTARTING: 1 of 2 connectors unhealthy: orders-sink task 1 RESTARTING on 10.0.0.1:8083 (restarted; not RUNNING yet)')
  w.setTask('orders-sink', 1, 'RUNNING')
  t.same(await readyz(3000), { status: 200, body: 'ok\n' }, 'RUNNING again: ready')

  // It fails again soon: the next restart waits for its backoff, 30 s after the first.
  w.setTask('orders-sink', 1, 'FAILED')
  const waiting = await readyz(10_000)
  t.equal(waiting.status, 503)
  t.match(waiting.body, 'orders-sink restart 1/5 requested, next in 21s if still FAILED')
  t.equal(w.restarts.length, 1)
  w.restartTo = 'RUNNING'
  await readyz(31_000)
  t.equal(w.restarts.length, 2, 'second restart once the backoff has passed')
  t.same(await readyz(32_000), { status: 200, body: 'ok\n' })
  const one = JSON.parse((await a.app.inject({ url: '/connectors/orders-sink' })).body)
  t.match(one, { healthy: true, restart: { attempts: 2, maxAttempts: 5, last: 'requested', gaveUp: false } }, '/connectors/<name> says what self-healing did')

  // Someone pauses a connector whose task is FAILED: that is their decision, not a fault to heal.
  w.setState('audit', 'PAUSED')
  w.setTask('audit', 0, 'FAILED')
  for (const at of [40_000, 100_000, 1_000_000]) {
    const paused = await readyz(at)
    t.equal(paused.status, 503)
    t.match(paused.body, 'audit not restarted while the connector is PAUSED')
  }
  t.same(w.restarts.map((r) => r.name), ['orders-sink', 'orders-sink'], 'never a POST for the PAUSED connector')

  const status = JSON.parse((await a.app.inject({ url: '/status' })).body)
  t.equal(status.config.connectRestartFailed, true)
  t.notOk(JSON.parse((await a.app.inject({ url: '/connectors/orders-sink' })).body).restart, 'healthy for the max backoff: forgotten')
  t.match(a.logs.text, 'connector orders-sink has run healthy for 10m: its restart count starts over')
  const metrics = (await a.app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_connect_restarts_total{connector="orders-sink",result="requested"} 2')
  t.match(metrics, 'kafka_healthz_connect_restarts_given_up 0')
  t.match(metrics, /kafka_healthz_connect_request_duration_seconds_count\{endpoint="connector_restart"\} 2/)
  t.equal(a.logs.lines.filter((l) => /restart \d\/5 of connector orders-sink requested/.test(l)).length, 2, 'one log line per restart')
})

t.test('refusals from the worker: 409 retried next run, 500 and 403 counted and backed off, then given up', async (t) => {
  const w = await standIn()
  t.teardown(async () => { await w.stop() })
  const clock = { now: 0 }
  const a = await agentFor(w, [...HEAL, '--connect-restart-max-attempts', '2', '--connect-restart-backoff', '10s'], clock)
  t.teardown(a.close)
  const cycle = async (at: number): Promise<string> => {
    clock.now = at
    await a.agent.runner.runCycle()
    return (await a.app.inject({ url: '/readyz' })).body
  }
  w.setState('orders-sink', 'FAILED')
  w.restartMode = 'rebalancing'
  t.match(await cycle(0), 'orders-sink restart refused (a rebalance is under way), asking again next run')
  t.match(await cycle(1000), 'orders-sink restart refused')
  t.equal(w.restarts.length, 2, 'a 409 uses no attempt: asked again at the next run')
  w.restartMode = 'http-500'
  t.match(await cycle(2000), 'orders-sink restart 1/2 failed (CONNECT_HTTP_ERROR: connector_restart: HTTP 500: Request timed out), next in 10s if still FAILED')
  w.restartMode = 'auth-403'
  await cycle(11_999)
  t.equal(w.restarts.length, 3, 'a refused restart counts and backs off')
  t.match(await cycle(12_000), 'orders-sink restart 2/2 failed (AUTH: connector_restart: HTTP 403 from the worker; check the Connect credentials (may these credentials restart connectors?)), the last one')
  t.match(await cycle(100_000), 'orders-sink gave up after 2 restarts; restart it by hand')
  t.equal(w.restarts.length, 4)
  const metrics = (await a.app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_connect_restarts_total{connector="orders-sink",result="rebalancing"} 2')
  t.match(metrics, 'kafka_healthz_connect_restarts_total{connector="orders-sink",result="failed"} 2')
  t.match(metrics, 'kafka_healthz_connect_restarts_given_up 1')
  t.match(metrics, 'kafka_healthz_connect_request_errors_total{endpoint="connector_restart",reason="AUTH"} 1')
  t.equal(a.logs.lines.filter((l) => l.includes('giving up')).length, 1)
})

t.test('the client: names as one encoded path segment, each answer mapped, credentials sent', async (t) => {
  const w = await standIn()
  t.teardown(async () => { await w.stop() })
  for (const n of ['team/orders', '..', '100% sure']) w.add(n)
  w.credentials = { username: 'healthz', password: 'pw:1' }
  const target = configFrom(['--connect-url', w.url, '--connect-username', 'healthz'], { HEALTHZ_CONNECT_PASSWORD: 'pw:1' }).connect
  if (target === undefined) throw new Error('no target')
  const client = createUndiciConnectClient({ target, timeoutMs: 2000, userAgent: 'test' })
  t.teardown(client.close)
  const signal = new AbortController().signal
  for (const n of ['team/orders', '..', '100% sure']) t.equal(await client.restartConnector(n, signal), 'accepted', n)
  t.same(w.restarts.map((r) => r.name), ['team/orders', '..', '100% sure'], 'each name reached the worker whole')
  t.same(w.requests.filter((r) => r.method === 'POST').map((r) => r.path), ['/connectors/team%2Forders/restart', '/connectors/%2E%2E/restart', '/connectors/100%25%20sure/restart'])
  t.equal(w.requests.at(-1)?.headers['content-length'], '0', 'a POST without a body')
  t.equal(await client.restartConnector('nope', signal), 'gone')
  w.restartMode = 'legacy'
  t.equal(await client.restartConnector('audit', signal), 'legacy')
  w.restartMode = 'rebalancing'
  t.equal(await client.restartConnector('audit', signal), 'rebalancing')
  w.restartMode = 'hang'
  const ac = new AbortController()
  setTimeout(() => { ac.abort() }, 50)
  await t.rejects(client.restartConnector('audit', ac.signal), new ConnectError('aborted', 'deadline passed'))
  w.credentials = { username: 'healthz', password: 'rotated' }
  w.restartMode = 'kip-745'
  await t.rejects(client.restartConnector('audit', signal), new ConnectError('auth', 'connector_restart: HTTP 401 from the worker; check the Connect credentials'))
})

t.test('off by default, and one-shot mode never restarts', async (t) => {
  const w = await standIn()
  t.teardown(async () => { await w.stop() })
  w.setTask('orders-sink', 0, 'FAILED')
  const clock = { now: 0 }
  const plain = await agentFor(w, ['--connect-worker-id', WORKER], clock)
  t.teardown(plain.close)
  for (const at of [0, 60_000, 3_600_000]) { clock.now = at; await plain.agent.runner.runCycle() }
  t.equal((await plain.app.inject({ url: '/readyz' })).statusCode, 503)
  t.same(w.restarts, [], 'without --connect-restart-failed the agent only reads')

  const config = configFrom(['--connect-url', w.url, '--interval', '1m', '--timeout', '2s', ...HEAL])
  const logs = new LogSink()
  const out = new LogSink()
  t.equal(await checkOnce(config, createLogger('info', logs), out), 1)
  t.match(out.text, '[-]connectors failed: CONNECTOR_FAILED')
  t.same(w.restarts, [], 'an init container running `check` only looks')
})
