// The Connect checks against a REST stand-in: a real HTTP server serving the worker's JSON,
// reached through the real undici client. Runs are driven with runCycle() so each assertion
// follows a known number of runs.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createServer as createNetServer, type AddressInfo } from 'node:net'
import { createServer as createTlsServer } from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { Agent } from 'undici'
import { configFrom, startAgent, type TestAgent } from '../helpers/agent'
import { ConnectStandIn } from '../helpers/connect-stand-in'
import { tcpDial } from '../../src/connect/departed'
import { makePki } from '../helpers/tls'

const TIMEOUT = 300

async function agentFor (w: ConnectStandIn, extra: string[] = [], env: NodeJS.ProcessEnv = {}, opts: { start?: boolean, level?: string } = {}): Promise<TestAgent> {
  const config = configFrom(['--connect-url', w.url, '--interval', '1m', '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1', ...extra], env)
  return await startAgent(config, {}, { start: opts.start ?? false, level: opts.level ?? 'info' })
}

async function run (a: TestAgent, url = '/readyz'): Promise<{ status: number, body: string }> {
  await a.agent.runner.runCycle()
  const res = await a.app.inject({ url })
  return { status: res.statusCode, body: res.body }
}

async function worker (setup: (w: ConnectStandIn) => void = (w) => { w.add('orders-sink', { tasks: 2 }); w.add('audit-source', { tasks: 1 }) }): Promise<ConnectStandIn> {
  const w = await new ConnectStandIn().start()
  setup(w)
  return w
}

t.test('all RUNNING → 200; pause → 503 naming the connector; resume → 200', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w)
  t.teardown(a.close)
  t.same(await run(a), { status: 200, body: 'ok\n' })
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200)
  t.equal((await a.app.inject({ url: '/startupz' })).statusCode, 200)

  w.setState('orders-sink', 'PAUSED')
  w.setTask('orders-sink', 0, 'PAUSED')
  const paused = await run(a)
  t.equal(paused.status, 503)
  t.match(paused.body, '[-]connectors failed: CONNECTOR_PAUSED: 1 of 2 connectors unhealthy: orders-sink connector PAUSED, task 0 PAUSED on 10.0.0.1:8083')
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200, 'connector state never touches liveness')

  w.setState('orders-sink', 'RUNNING')
  w.setTask('orders-sink', 0, 'RUNNING')
  t.equal((await run(a)).status, 200)
})

t.test('PAUSED, STOPPED and FAILED all fail readiness, each with its reason and the trace\'s first line', async (t) => {
  const w = await worker((w) => { w.add('a'); w.add('b'); w.add('c') })
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w)
  t.teardown(a.close)
  w.setState('a', 'STOPPED')
  t.match((await run(a)).body, 'CONNECTOR_STOPPED: 1 of 3 connectors unhealthy: a connector STOPPED')
  w.setTask('b', 0, 'FAILED', 'org.apache.kafka.connect.errors.ConnectException: boom\n\tat Foo.bar(Foo.java:1)\n\tat Baz.qux(Baz.java:2)')
  const both = await run(a)
  t.match(both.body, 'CONNECTOR_FAILED: 2 of 3 connectors unhealthy: ', 'FAILED outranks STOPPED')
  t.match(both.body, 'b task 0 FAILED on 10.0.0.1:8083: org.apache.kafka.connect.errors.ConnectException: boom')
  t.notMatch(both.body, 'Foo.java', 'only the first line of a trace in a probe body')
})

t.test('worker scoping: a FAILED task on another worker → 200 with scoping, 503 without', async (t) => {
  const w = await worker((w) => {
    w.add('spread', { tasks: 2, worker: '10.0.0.1:8083', taskWorkers: ['10.0.0.1:8083', '10.0.0.2:8083'] })
    w.add('elsewhere', { tasks: 1, worker: '10.0.0.2:8083' })
  })
  t.teardown(async () => { await w.stop() })
  w.setTask('spread', 1, 'FAILED', 'java.lang.OutOfMemoryError')
  w.setState('elsewhere', 'FAILED')

  const scoped = await agentFor(w, ['--connect-worker-id', '10.0.0.1:8083'])
  t.teardown(scoped.close)
  t.equal((await run(scoped)).status, 200)
  const status = JSON.parse((await scoped.app.inject({ url: '/status' })).body)
  t.same(status.checks.connectors.lastRun.details.connectors.map((c: { name: string }) => c.name), ['spread'], 'a connector with nothing on this worker is not counted')

  const auto = configFrom(['--connect-url', w.url, '--connect-worker-id', 'auto', '--interval', '1m', '--timeout', `${TIMEOUT}ms`], {}, { localAddresses: () => ['10.0.0.1'] })
  const autoAgent = await startAgent(auto, {}, { start: false })
  t.teardown(autoAgent.close)
  t.equal((await run(autoAgent)).status, 200, 'auto matches the pod\'s own address')

  const all = await agentFor(w)
  t.teardown(all.close)
  const res = await run(all)
  t.equal(res.status, 503)
  t.match(res.body, 'task 1 FAILED on 10.0.0.2:8083: java.lang.OutOfMemoryError')
})

t.test('UNASSIGNED briefly → still 200; beyond the grace → 503', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w, ['--connect-transition-grace', '400ms'])
  t.teardown(a.close)
  w.setTask('orders-sink', 1, 'UNASSIGNED')
  t.equal((await run(a)).status, 200, 'inside the grace period')
  await sleep(450)
  const res = await run(a)
  t.equal(res.status, 503)
  t.match(res.body, 'CONNECTOR_UNASSIGNED: 1 of 2 connectors unhealthy: orders-sink task 1 UNASSIGNED')
  w.setTask('orders-sink', 1, 'RUNNING')
  t.equal((await run(a)).status, 200)
  w.setTask('orders-sink', 1, 'RESTARTING')
  t.equal((await run(a)).status, 200, 'a new transition starts a new grace period')
})

t.test('tasks.max, tolerance, selection and "no connectors"', async (t) => {
  const w = await worker((w) => {
    w.add('jdbc-source', { tasks: 2, tasksMax: 4 })
    w.add('s3-sink', { tasks: 1 })
    w.add('s3-sink-eu', { tasks: 1 })
    w.add('other', { tasks: 1 })
  })
  t.teardown(async () => { await w.stop() })

  const max = await agentFor(w, ['--connect-check-tasks-max'])
  t.teardown(max.close)
  const below = await run(max)
  t.equal(below.status, 503)
  t.match(below.body, 'TASKS_BELOW_MAX: 1 of 4 connectors unhealthy: jdbc-source only 2 of tasks.max 4 tasks exist')
  t.equal(w.count('/connectors'), 2, 'one status call and one info call')

  w.setState('other', 'FAILED')
  const tolerant = await agentFor(w, ['--connect-unhealthy-tolerance', '25'])
  t.teardown(tolerant.close)
  const within = await run(tolerant)
  t.equal(within.status, 200, '1 of 4 is within 25%')
  w.setState('s3-sink', 'FAILED')
  t.equal((await run(tolerant)).status, 503, '2 of 4 is not')

  const selected = await agentFor(w, ['--connectors', 's3-*,jdbc-source'])
  t.teardown(selected.close)
  w.setState('s3-sink', 'RUNNING')
  t.equal((await run(selected)).status, 200, '"other" is FAILED but not selected')

  const none = await agentFor(w, ['--connectors', 'nothing-*'])
  t.teardown(none.close)
  t.equal((await run(none)).status, 200, 'nothing selected passes by default')
  const required = await agentFor(w, ['--connectors', 'nothing-*', '--connect-require-connectors'])
  t.teardown(required.close)
  t.match((await run(required)).body, 'NO_CONNECTORS')
})

t.test('worker liveness: /health 200, 503 starting, 500, 404 → GET /, zombie', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w)
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  t.equal(w.count('/health'), 1, 'liveness and readiness share one /health call per run')

  w.health = 'starting'
  await a.agent.runner.runCycle()
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200, 'starting is live')
  // A worker that starts while Kafka is down stays "starting" until Kafka returns: a startup
  // probe waiting for ready would kill it every failureThreshold × period.
  t.equal((await a.app.inject({ url: '/startupz' })).statusCode, 200, 'starting is started: the startup probe hands over to liveness')
  const ready = await a.app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503, 'starting is not ready')
  t.match(ready.body, '[-]connect-ready failed: CONNECT_WORKER_STARTING: worker is starting: Worker is still starting up.')

  w.health = 'unhealthy'
  t.match((await run(a, '/livez')).body, '[-]connect-worker failed: CONNECT_WORKER_UNHEALTHY')

  // Its herder waits on Kafka (the whole cluster down): Connect answers 500 naming the stage.
  // Live, not ready: restarting every worker through an outage fixes nothing.
  w.health = 'stuck'
  const waiting = await run(a, '/livez')
  t.equal(waiting.status, 200, 'waiting on Kafka is live')
  t.match((await a.app.inject({ url: '/status' })).json(), { checks: { 'connect-worker': { ok: true, message: /^worker waits on Kafka, which a restart would not fix \(readiness reports it\): .*ensuring membership in the cluster/ } } })
  t.match((await a.app.inject({ url: '/readyz' })).body, '[-]connect-ready failed: CONNECT_WORKER_UNHEALTHY: worker is unhealthy: Worker was unable')
  w.healthStage = 'starting 3 connector(s) and task(s) after a rebalance'
  t.match((await run(a, '/livez')).body, '[-]connect-worker failed: CONNECT_WORKER_UNHEALTHY', 'stuck in its own work (a connector\'s start): not live')

  const legacy = await worker()
  t.teardown(async () => { await legacy.stop() })
  legacy.health = 'missing'
  const old = await agentFor(legacy)
  t.teardown(old.close)
  t.equal((await run(old, '/livez')).status, 200, 'a worker before 3.9 is judged by GET /')
  await old.agent.runner.runCycle()
  t.equal(legacy.count('/health'), 2, '/health is asked every run until it has answered once')
  t.equal(legacy.count('/'), 2)
})

t.test('a herder busy past the run: live while GET / answers, unless its late /health names its own work or never comes', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await startAgent(configFrom(['--connect-url', w.url, '--interval', '1m', '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1']),
    { healthWaitMs: TIMEOUT * 3 }, { start: false })
  t.teardown(a.close)
  t.equal((await run(a, '/livez')).status, 200)
  // As a real worker in a Kafka outage: /health answers 500 after Connect's own 10 s, here 2 runs.
  w.health = 'stuck'
  w.healthDelayMs = TIMEOUT * 2
  const asked = w.count('/health')
  const first = await run(a, '/livez')
  t.equal(first.status, 200, 'no answer yet, GET / answers: live')
  t.match((await a.app.inject({ url: '/status' })).json(), { checks: { 'connect-worker': { ok: true, message: /^worker answers GET \/; its herder is busy/ } } })
  t.match((await a.app.inject({ url: '/readyz' })).body, '[-]connect-ready failed: TIMEOUT: /health gave no answer within')
  t.equal(w.count('/health'), asked + 2, 'the run\'s own /health, and one long one to learn what the herder is stuck in')
  await run(a, '/livez')
  t.equal(w.count('/health'), asked + 3, 'a run while the long one is out adds only its own')
  await sleep(TIMEOUT * 2)
  t.equal((await run(a, '/livez')).status, 200, 'the late answer named a Kafka stage: still live')
  t.equal(w.count('/health'), asked + 5, 'once the long one has answered, the next busy run starts another')

  // A zombie: the herder is stuck in a connector's own code; its late /health says so.
  w.healthStage = 'stopping connector orders-sink'
  await sleep(TIMEOUT * 2)
  await run(a, '/livez')
  await sleep(TIMEOUT * 2)
  const zombie = await run(a, '/livez')
  t.equal(zombie.status, 503, 'the last /health named the worker\'s own work')
  t.match(zombie.body, '[-]connect-worker failed: CONNECT_WORKER_UNHEALTHY: worker is unhealthy: Worker was unable to handle this request and may be unable to handle other requests. The worker is currently stopping connector orders-sink')

  // No answer at all within our longer wait, though GET / answers: a wedged REST layer.
  w.health = 'hang'
  await sleep(TIMEOUT * 2)
  await run(a, '/livez')
  await sleep(TIMEOUT * 4)
  const silent = await run(a, '/livez')
  t.equal(silent.status, 503)
  t.match(silent.body, `CONNECT_WORKER_UNHEALTHY: /health gave no answer within ${TIMEOUT * 3}ms, though GET / answers`)
  w.health = 'healthy'
  await sleep(TIMEOUT * 4)
  t.equal((await run(a, '/livez')).status, 200, 'back by itself')
  t.equal((await run(a, '/readyz')).status, 200)
})

t.test('a /health that hung: readiness follows the worker within a run once it answers, not after the long call ends', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w)
  t.teardown(a.close)
  t.equal((await run(a, '/readyz')).status, 200)
  w.health = 'hang'
  t.equal((await run(a, '/readyz')).status, 503)
  t.equal((await run(a, '/livez')).status, 200, 'GET / answers: live')
  w.health = 'healthy'
  t.equal((await run(a, '/readyz')).status, 200, 'the next run asks afresh (the long call is still out, for up to 15 s)')
})

t.test('/health 404 (issue 11 #3): judged by /health as soon as it answers; a 404 after that fails', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w)
  t.teardown(a.close)
  // A worker whose REST resources are still loading: one 404, then KIP-1017's answers.
  w.health = 'missing'
  t.equal((await run(a, '/livez')).status, 200, 'a first 404 reads as a worker before 3.9')
  w.health = 'unhealthy'
  const sick = await run(a, '/livez')
  t.equal(sick.status, 503, 'the next run asks /health again and believes it')
  t.match(sick.body, '[-]connect-worker failed: CONNECT_WORKER_UNHEALTHY')
  w.health = 'starting'
  t.match((await run(a, '/readyz')).body, '[-]connect-ready failed: CONNECT_WORKER_STARTING')
  w.health = 'healthy'
  t.equal((await run(a, '/readyz')).status, 200)
  // It has shown it has /health: a 404 now is not a downgrade to GET /.
  w.health = 'missing'
  const gone = await run(a, '/readyz?verbose')
  t.equal(gone.status, 503)
  t.match(gone.body, '[-]connect-ready failed: CONNECT_HTTP_ERROR: health: HTTP 404 from a worker that has answered /health before')
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 503)
})

t.test('a worker that ignores ?expand: bounded per-connector calls; a connector deleted meanwhile is left out', async (t) => {
  const w = await worker((w) => { for (let i = 0; i < 20; i++) w.add(`c${i}`) })
  t.teardown(async () => { await w.stop() })
  w.ignoreExpand = true
  w.deletedWhileListing.add('gone')
  const a = await agentFor(w, ['--connect-concurrency', '4'])
  t.teardown(a.close)
  t.equal((await run(a)).status, 200)
  t.equal(w.count('/connectors'), 1)
  t.equal(w.statusNames().length, 21)
  const status = JSON.parse((await a.app.inject({ url: '/status' })).body)
  t.equal(status.checks.connectors.lastRun.details.connectors.length, 20)
  w.setState('c7', 'FAILED')
  t.match((await run(a)).body, 'c7 connector FAILED')
})

t.test('older workers: tasks.max via per-connector info calls; a failing per-connector call fails the run', async (t) => {
  const w = await worker((w) => { w.add('jdbc', { tasks: 1, tasksMax: 2 }) })
  t.teardown(async () => { await w.stop() })
  w.ignoreExpand = true
  const a = await agentFor(w, ['--connect-check-tasks-max'])
  t.teardown(a.close)
  t.match((await run(a)).body, 'TASKS_BELOW_MAX: 1 of 1 connectors unhealthy: jdbc only 1 of tasks.max 2 tasks exist')
  t.equal(w.count('/connectors/jdbc'), 1)
  w.perConnectorFault = true
  t.match((await run(a)).body, 'CONNECT_HTTP_ERROR: connector_status: HTTP 500: Request timed out')
  const metrics = (await a.app.inject({ url: '/metrics' })).body
  t.match(metrics, /kafka_healthz_connect_request_errors_total\{endpoint="connector_status",reason="CONNECT_HTTP_ERROR"\} [1-9]/, 'an HTTP 500 counts as a failed request')
  w.health = 'teapot'
  t.match((await run(a, '/livez')).body, 'CONNECT_HTTP_ERROR: health: HTTP 418: I am a teapot')
})

t.test('no request outlives its run when a per-connector call hangs', async (t) => {
  const w = await worker((w) => { for (let i = 0; i < 40; i++) w.add(`c${i}`) })
  t.teardown(async () => { await w.stop() })
  w.ignoreExpand = true
  w.hangNames.add('c1')
  const a = await agentFor(w, ['--connect-concurrency', '4'])
  t.teardown(a.close)
  t.match((await run(a)).body, 'TIMEOUT')
  const after = w.requests.length
  await sleep(300)
  t.equal(w.requests.length, after, 'no call started after the run ended')
})

t.test('a stuck herder on ?expand=info costs only the tasks.max part of the run', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  w.infoHangs = true
  const a = await agentFor(w, ['--connect-check-tasks-max'])
  t.teardown(a.close)
  const ok = await run(a, '/readyz/connectors?verbose')
  t.equal(ok.status, 200)
  const status = JSON.parse((await a.app.inject({ url: '/status' })).body)
  t.match(status.checks.connectors.message, '2 connectors healthy (tasks.max not checked: TIMEOUT: deadline passed)')
  w.setState('orders-sink', 'PAUSED')
  t.match((await run(a)).body, 'CONNECTOR_PAUSED', 'connector states still flip readiness')
})

t.test('500 connectors: exactly one upstream call per run, whatever the probe rate', async (t) => {
  const w = await worker((w) => { for (let i = 0; i < 500; i++) w.add(`conn-${i}`, { tasks: 2 }) })
  t.teardown(async () => { await w.stop() })
  const config = configFrom(['--connect-url', w.url, '--interval', '200ms', '--timeout', '150ms'])
  const a = await startAgent(config, {}, { start: false })
  t.teardown(a.close)
  let runs = 0
  const original = a.agent.runner.runCycle.bind(a.agent.runner)
  a.agent.runner.runCycle = async () => { runs++; await original() }
  a.agent.runner.start()
  // A fixed amount of probe traffic across at least 3 runs, however fast this machine is today
  // (a time window made it a throughput assertion, which a loaded CI machine can fail).
  const giveUp = Date.now() + 20_000
  let probes = 0
  while ((probes < 600 || runs < 4) && Date.now() < giveUp) {
    await Promise.all(Array.from({ length: 20 }, async () => { await a.app.inject({ url: '/readyz' }); probes++ }))
    await a.app.inject({ url: '/connectors/conn-7' })
    await a.app.inject({ url: '/status' })
    await a.app.inject({ url: '/metrics' })
    await sleep(1) // inject() alone never yields to I/O; let the check's upstream call progress
  }
  await a.agent.runner.stop()
  t.ok(probes >= 600 && runs >= 4, `${probes} probe requests across ${runs} runs`)
  // stop() may abort the last run before its request leaves: then that run made none.
  const calls = w.count('/connectors')
  t.ok(calls <= runs && calls >= runs - 1, `${calls} GET /connectors?expand=status for ${runs} runs: one per run`)
  t.equal(w.requests.filter((r) => r.path.startsWith('/connectors/')).length, 0, 'no per-connector calls')
})

t.test('/connectors/<name>: healthy, unhealthy, unknown, and names with /, %, spaces and ..', async (t) => {
  const names = ['plain', 'team/orders', '100% sure', 'with space', '..', '%2F']
  const w = await worker((w) => { for (const n of names) w.add(n) })
  t.teardown(async () => { await w.stop() })
  w.setTask('with space', 0, 'FAILED', 'java.lang.IllegalStateException: bad\n\tat X.y(X.java:1)')
  w.ignoreExpand = true // per-connector upstream calls must use encoded names too
  const a = await agentFor(w)
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  t.same(w.statusNames().sort(), [...names].sort(), 'every name reached the worker as one path segment, dots included')
  t.equal(w.count('/status'), 0, '".." was not normalised away into another Connect path')

  const get = async (encoded: string) => await a.app.inject({ url: `/connectors/${encoded}` })
  const ok = await get('plain')
  t.equal(ok.statusCode, 200)
  t.match(JSON.parse(ok.body), { name: 'plain', healthy: true, state: 'RUNNING', tasks: [{ id: 0, state: 'RUNNING', healthy: true }] })
  t.equal((await get('team%2Forders')).statusCode, 200)
  t.equal(JSON.parse((await get('team%2Forders')).body).name, 'team/orders')
  t.equal(JSON.parse((await get('100%25%20sure')).body).name, '100% sure')
  // inject() (like curl without --path-as-is) normalises "..", encoded or not; over a real
  // socket an encoded %2E%2E reaches the agent as the name "..".
  await a.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = a.app.server.address() as { port: number }
  const raw = new Agent()
  t.teardown(async () => { await raw.close() })
  const dots = await raw.request({ origin: `http://127.0.0.1:${port}`, path: '/connectors/%2E%2E', method: 'GET' })
  t.equal(dots.statusCode, 200)
  t.equal((await dots.body.json() as { name: string }).name, '..')
  t.equal(JSON.parse((await get('%252F')).body).name, '%2F', 'decoded once, not twice')
  const bad = await get('with%20space')
  t.equal(bad.statusCode, 503)
  t.match(JSON.parse(bad.body), { healthy: false, reason: 'CONNECTOR_FAILED', tasks: [{ state: 'FAILED', trace: 'java.lang.IllegalStateException: bad' }] })
  const unknown = await get('nope')
  t.equal(unknown.statusCode, 404)
  t.equal((await get('team/orders')).statusCode, 404, 'an unencoded / is another path')
  const before = w.requests.length
  await get('..%2F..%2Fconnectors')
  t.equal(w.requests.length, before, 'a request to the agent never becomes a request to the worker')
})

t.test('each bad upstream answer: 503 within the deadline with a bounded reason, then recovery', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w, ['--connect-max-body-bytes', '1048576'])
  t.teardown(a.close)
  t.equal((await run(a)).status, 200)
  const cases: Array<[ConnectStandIn['fault'], string]> = [
    ['hang', `TIMEOUT: no answer within ${TIMEOUT}ms`],
    ['http-500', 'CONNECT_HTTP_ERROR: connectors: HTTP 500: Request timed out'],
    ['auth-401', 'AUTH: connectors: HTTP 401'],
    ['auth-403', 'AUTH: connectors: HTTP 403'],
    ['redirect', 'CONNECT_REDIRECT: connectors: HTTP 307 redirect'],
    ['garbage', 'CONNECT_BAD_RESPONSE: GET /connectors is not JSON'],
    ['wrong-shape', 'CONNECT_BAD_RESPONSE: unexpected JSON from the worker'],
    ['huge', 'CONNECT_BODY_TOO_LARGE'],
  ]
  for (const [fault, expected] of cases) {
    w.fault = fault
    const started = Date.now()
    const res = await run(a)
    const took = Date.now() - started
    t.equal(res.status, 503, fault)
    t.match(res.body, expected, fault)
    t.ok(took < TIMEOUT + 500, `${fault}: answered within the deadline (${took}ms)`)
    w.fault = 'none'
    t.equal((await run(a)).status, 200, `${fault}: recovers by itself`)
  }
  const metrics = (await a.app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_connect_request_errors_total{endpoint="connectors",reason="AUTH"} 2')
  t.match(metrics, 'kafka_healthz_connect_request_errors_total{endpoint="connectors",reason="CONNECT_BODY_TOO_LARGE"} 1')
  t.match(metrics, 'kafka_healthz_connect_request_errors_total{endpoint="connectors",reason="CONNECT_BAD_RESPONSE"} 2', 'non-JSON and wrong shapes count too')
  t.match(metrics, 'kafka_healthz_connect_request_errors_total{endpoint="connectors",reason="CONNECT_HTTP_ERROR"} 1')

  await w.stop()
  const refused = await run(a)
  t.equal(refused.status, 503)
  t.match(refused.body, '[-]connect-ready failed: CONNECT_UNREACHABLE')
  t.match(refused.body, /ECONNREFUSED/)
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 503, 'nothing answers: the worker is down')
  await w.restart()
  t.equal((await run(a)).status, 200, 'the worker came back: no agent restart needed')
})

t.test('memory stays flat through a thousand bad answers', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const a = await agentFor(w, ['--connect-max-body-bytes', '65536'])
  t.teardown(a.close)
  const faults = ['http-500', 'garbage', 'wrong-shape', 'huge', 'redirect'] as const
  const cycle = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) { w.fault = faults[i % faults.length] ?? 'none'; await a.agent.runner.runCycle() }
  }
  t.type(global.gc, 'function', '.taprc runs tests with --expose-gc')
  await cycle(200) // warm up
  global.gc?.()
  const before = process.memoryUsage().heapUsed
  await cycle(1000)
  global.gc?.()
  const grown = process.memoryUsage().heapUsed - before
  t.ok(grown < 20 * 1024 * 1024, `heap grew ${(grown / 1024 / 1024).toFixed(1)} MiB over 1000 failing runs`)
})

t.test('basic auth with ":" in the password, extra headers, and no credential anywhere in the output', async (t) => {
  const password = 'op3n:se5ame:x9'
  const token = 'tok-4e8f1c0b9a'
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  w.credentials = { username: 'healthz', password }
  const a = await agentFor(w, ['--connect-username', 'healthz', '--log-level', 'trace'], {
    HEALTHZ_CONNECT_PASSWORD: password,
    HEALTHZ_CONNECT_HEADERS: `X-Tenant: blue\nX-Api-Token: ${token}`,
  }, { level: 'trace' })
  t.teardown(a.close)
  t.equal((await run(a)).status, 200, 'the worker accepted the credentials')
  t.equal(w.requests.at(-1)?.headers['x-tenant'], 'blue')
  t.equal(w.requests.at(-1)?.headers['x-api-token'], token)
  w.credentials = { username: 'healthz', password: 'rotated' }
  t.match((await run(a)).body, '[-]connect-ready failed: AUTH: health: HTTP 401')
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200, 'a rotated credential never restarts the worker')
  const outputs = [a.logs.text]
  for (const url of ['/status', '/metrics', '/readyz?verbose', '/livez?verbose', '/connectors/orders-sink']) outputs.push((await a.app.inject({ url })).body)
  for (const text of outputs) {
    t.notMatch(text, password)
    t.notMatch(text, token)
    t.notMatch(text, Buffer.from(`healthz:${password}`).toString('base64'))
  }
  t.match(outputs[1], '"connectPassword":"<redacted>"')
  t.match(outputs[1], '"connectHeaders":"<redacted>"')
})

t.test('per-connector metrics: one-hot state, task counts, capped with a left-out counter', async (t) => {
  const w = await worker((w) => { w.add('a', { tasks: 2 }); w.add('b', { tasks: 1 }); w.add('c', { tasks: 1 }) })
  t.teardown(async () => { await w.stop() })
  w.setState('b', 'PAUSED')
  w.setTask('b', 0, 'PAUSED')
  const a = await agentFor(w, ['--connect-metrics-max-connectors', '2'])
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  const m = (await a.app.inject({ url: '/metrics' })).body
  t.match(m, 'kafka_healthz_connect_up 1')
  t.match(m, 'kafka_healthz_connect_connector_state{connector="a",worker="10.0.0.1:8083",state="RUNNING"} 1')
  t.match(m, 'kafka_healthz_connect_connector_state{connector="a",worker="10.0.0.1:8083",state="PAUSED"} 0')
  t.match(m, 'kafka_healthz_connect_connector_state{connector="b",worker="10.0.0.1:8083",state="PAUSED"} 1')
  t.notMatch(m, 'connector="c"', 'c is past the cap')
  t.match(m, 'kafka_healthz_connect_connectors_left_out 1')
  t.match(m, 'kafka_healthz_connect_connector_tasks{connector="a",state="RUNNING"} 2')
  t.match(m, 'kafka_healthz_connect_tasks{state="RUNNING"} 3')
  t.match(m, 'kafka_healthz_connect_tasks{state="PAUSED"} 1')
  t.match(m, 'kafka_healthz_connect_connectors{health="unhealthy"} 1')
  t.match(m, /kafka_healthz_connect_request_duration_seconds_count\{endpoint="connectors"\} 1/)
  w.health = 'unhealthy'
  await a.agent.runner.runCycle()
  t.match((await a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_connect_up 0')
})

t.test('broker and Connect checks in one agent', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  const config = configFrom(['--connect-url', w.url, '--kafka-brokers', '127.0.0.1:1', '--interval', '1m', '--timeout', `${TIMEOUT}ms`])
  const a = await startAgent(config, {}, { start: false })
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  const body = (await a.app.inject({ url: '/readyz?verbose' })).body
  t.match(body, '[-]reachable failed: KAFKA_UNREACHABLE')
  t.match(body, '[+]connect-ready ok')
  t.match(body, '[+]connectors ok')
  t.equal((await a.app.inject({ url: '/readyz?exclude=reachable,registered' })).statusCode, 200)
})

t.test('TLS to the worker: a custom CA, and mutual TLS with a client certificate', async (t) => {
  const pki = makePki()
  const files = { readFile: (p: string) => readFileSync(p, 'utf8') }
  const common = ['--interval', '1m', '--timeout', '2s']

  const w = await new ConnectStandIn('10.0.0.1:8083', { cert: pki.serverCert, key: pki.serverKey }).start()
  t.teardown(async () => { await w.stop() })
  w.add('tls-sink')
  const trusted = await startAgent(configFrom(['--connect-url', w.url, '--connect-tls-ca-file', pki.caFile, ...common], {}, files), {}, { start: false })
  t.teardown(trusted.close)
  t.equal((await run(trusted)).status, 200, 'trusts the worker through --connect-tls-ca-file')
  const untrusted = await startAgent(configFrom(['--connect-url', w.url, ...common], {}, files), {}, { start: false })
  t.teardown(untrusted.close)
  const refused = await run(untrusted)
  t.equal(refused.status, 503)
  t.match(refused.body, /\[-\]connect-ready failed: CONNECT_TLS: .*(self.signed|certificate)/i, 'an unknown CA is refused, and the message says why')
  t.equal((await untrusted.app.inject({ url: '/livez' })).statusCode, 200, 'a TLS refusal is our problem: liveness spares the worker')

  const mutual = await new ConnectStandIn('10.0.0.1:8083', { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca }).start()
  t.teardown(async () => { await mutual.stop() })
  mutual.add('mtls-sink')
  const noCert = await startAgent(configFrom(['--connect-url', mutual.url, '--connect-tls-ca-file', pki.caFile, ...common], {}, files), {}, { start: false })
  t.teardown(noCert.close)
  const unsigned = await run(noCert)
  t.equal(unsigned.status, 503, 'no client certificate, no answer')
  t.match(unsigned.body, /\[-\]connect-ready failed: CONNECT_TLS: /, 'and the reason is TLS, not the worker unreachable')
  t.equal((await noCert.app.inject({ url: '/livez' })).statusCode, 200, 'a missing client certificate is our mistake: liveness spares the worker')
  const withCert = await startAgent(configFrom(['--connect-url', mutual.url, '--connect-tls-ca-file', pki.caFile,
    '--connect-tls-cert-file', pki.clientCertFile, '--connect-tls-key-file', pki.clientKeyFile, ...common], {}, files), {}, { start: false })
  t.teardown(withCert.close)
  t.equal((await run(withCert)).status, 200, 'mutual TLS with --connect-tls-cert-file and --connect-tls-key-file')

  const named = await new ConnectStandIn('10.0.0.1:8083', { cert: pki.namedCert, key: pki.namedKey }).start()
  t.teardown(async () => { await named.stop() })
  const wrongName = await startAgent(configFrom(['--connect-url', named.url, '--connect-tls-ca-file', pki.caFile, ...common], {}, files), {}, { start: false })
  t.teardown(wrongName.close)
  t.match((await run(wrongName)).body, /CONNECT_TLS: .*(altname|does not match|Hostname)/i)
  const rightName = await startAgent(configFrom(['--connect-url', named.url, '--connect-tls-ca-file', pki.caFile, '--connect-tls-server-name', 'connect-0.connect', ...common], {}, files), {}, { start: false })
  t.teardown(rightName.close)
  t.equal((await run(rightName)).status, 200, '--connect-tls-server-name verifies the name the certificate carries')
})

t.test('a worker that closes the TLS connection after the handshake without a word (Jetty refusing a client certificate) → CONNECT_TLS, liveness spared', async (t) => {
  // Real Connect (Jetty) with ssl.client.auth=required closes a connection without a client
  // certificate once the handshake is done, often before its alert is read: undici then sees
  // only "other side closed". That read as CONNECT_UNREACHABLE and failed liveness: a restart
  // loop of a healthy worker over a certificate the agent lacks (found in test/real/connect.test.ts).
  const pki = makePki()
  const closer = createTlsServer({ cert: pki.serverCert, key: pki.serverKey }, (socket) => { socket.destroy() })
  await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { closer.close() })
  const { port } = closer.address() as AddressInfo
  const files = { readFile: (p: string) => readFileSync(p, 'utf8') }
  const a = await startAgent(configFrom(['--connect-url', `https://127.0.0.1:${port}`, '--connect-tls-ca-file', pki.caFile, '--interval', '1m', '--timeout', '2s'], {}, files), {}, { start: false })
  t.teardown(a.close)
  const ready = await run(a)
  t.equal(ready.status, 503)
  t.match(ready.body, /\[-\]connect-ready failed: CONNECT_TLS: .*closed the TLS connection .*client certificate/)
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200, 'the worker completed a TLS handshake: it is alive')

  // Plain HTTP closed without a word stays unreachable: no handshake proves anything there.
  const plain = createNetServer((socket) => { socket.destroy() })
  await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { plain.close() })
  const b = await startAgent(configFrom(['--connect-url', `http://127.0.0.1:${(plain.address() as AddressInfo).port}`, '--interval', '1m', '--timeout', '2s']), {}, { start: false })
  t.teardown(b.close)
  t.match((await run(b, '/livez')).body, /CONNECT_UNREACHABLE/)
})

t.test('work reported RUNNING on a worker that is gone (refuses connections) → UNASSIGNED after the grace; off, or scoped → 200', async (t) => {
  // A port that refused a moment ago: the departed worker's REST address.
  const probe = createNetServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const deadPort = (probe.address() as AddressInfo).port
  await new Promise((resolve) => probe.close(resolve))
  const w = await new ConnectStandIn('127.0.0.1:1').start()
  t.teardown(async () => { await w.stop() })
  const here = `127.0.0.1:${new URL(w.url).port}`
  const gone = `127.0.0.1:${deadPort}`
  w.add('stays', { worker: here, taskWorkers: [here] })
  w.add('orphan', { worker: here, taskWorkers: [gone] })
  const agent = async (extra: string[]): Promise<TestAgent> => {
    const a = await startAgent(configFrom(['--connect-url', w.url, '--interval', '1m', '--timeout', '1s', '--failure-threshold', '1', ...extra]), { workerDial: tcpDial }, { start: false })
    t.teardown(a.close)
    return a
  }
  const unscoped = await agent(['--connect-transition-grace', '0'])
  const res = await run(unscoped)
  t.equal(res.status, 503)
  t.match(res.body, `[-]connectors failed: CONNECTOR_UNASSIGNED: 1 of 2 connectors unhealthy: orphan task 0 RUNNING on ${gone}, a worker that is gone`)
  const graced = await agent([])
  t.equal((await run(graced)).status, 200, 'inside the default grace: a rebalance may be on its way')
  t.equal((await run(await agent(['--connect-transition-grace', '0', '--connect-departed-workers=false']))).status, 200, 'switched off: the worker\'s word')
  t.equal((await run(await agent(['--connect-transition-grace', '0', '--connect-worker-id', here]))).status, 200, 'scoped to its own worker: the other worker is another pod\'s business')
})

t.test('a header the HTTP client refuses is our mistake, not the worker down (issue 11 #4)', async (t) => {
  const w = await worker()
  t.teardown(async () => { await w.stop() })
  // Start-up refuses it (test/config); built past that check, the client still must not blame the worker.
  const config = configFrom(['--connect-url', w.url, '--interval', '1m', '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1'])
  const connect = config.connect
  if (connect === undefined) throw new Error('no connect target')
  const a = await startAgent({ ...config, connect: { ...connect, headers: { 'transfer-encoding': 'chunked' } } }, {}, { start: false })
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  const live = await a.app.inject({ url: '/livez?verbose' })
  t.equal(live.statusCode, 200, 'a healthy worker is not restarted for the agent\'s own mistake')
  t.match(live.body, '[+]connect-worker ok')
  const ready = await a.app.inject({ url: '/readyz?verbose' })
  t.equal(ready.statusCode, 503)
  t.match(ready.body, '[-]connect-ready failed: CONNECT_CLIENT_ERROR: the agent could not send the request: invalid transfer-encoding header')
  t.equal(w.requests.length, 0, 'nothing reached the worker')
})

t.test('a connector name cannot forge probe lines (issue 11 #6)', async (t) => {
  const forged = 'x\n[+]connectors ok\nreadyz check passed'
  const w = await worker((w) => { w.add('orders-sink'); w.add(forged, { state: 'PAUSED' }) })
  t.teardown(async () => { await w.stop() })
  w.setTask(forged, 0, 'FAILED', 'java.lang.Exception: \u001b[32mgreen\u001b[0m\r\n[+]faked ok\n\tat X')
  const a = await agentFor(w)
  t.teardown(a.close)
  const res = await run(a, '/readyz?verbose')
  t.equal(res.status, 503)
  const lines = res.body.trimEnd().split('\n')
  t.same(lines.map((l) => l.slice(0, 3)), ['[+]', '[-]', 'rea'], 'one line per check, then the verdict')
  t.equal(lines.at(-1), 'readyz check failed')
  t.match(res.body, 'x\\n[+]connectors ok\\nreadyz check passed connector PAUSED')
  t.match(res.body, 'java.lang.Exception: \\u001b[32mgreen\\u001b[0m', 'escape sequences shown, not run')
  // eslint-disable-next-line no-control-regex -- looking for control characters is the point
  t.notMatch(res.body, /[\u0000-\u0009\u000b-\u001f]/, 'no control character but the line ends')
  // JSON keeps the name as it is: it escapes by itself, and a script must be able to match it.
  const status = JSON.parse((await a.app.inject({ url: '/status' })).body)
  t.ok(status.checks.connectors.lastRun.details.connectors.some((c: { name: string }) => c.name === forged))
  const one = await a.app.inject({ url: `/connectors/${encodeURIComponent(forged)}` })
  t.equal(JSON.parse(one.body).name, forged)
  // And a person reading the excludes they typed sees them escaped too.
  t.match((await a.app.inject({ url: '/readyz?exclude=a%0A%5B%2B%5Dfake' })).body, 'no matches for "a\\n[+]fake"')
  // JSON log lines stay one line each.
  for (const line of a.logs.lines) t.doesNotThrow(() => JSON.parse(line))
})
