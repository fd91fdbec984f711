// The Connect checks against real Kafka Connect: two distributed workers of one group (JVMs
// started here from Maven jars) on a real 3-node KRaft cluster, once per version in
// test/real/kafka-versions. Connectors are connect-runtime's own test connectors (MockSink/
// MockSource), driven through the worker's REST API; the agent is the built CLI beside worker 1.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { AgentProcess, forEachKafkaVersion, RealKafkaCluster, type ConnectWorker, type Tap } from '../helpers/real-kafka'
import { makePki } from '../helpers/tls'

// Connect answers through its herder, slower than a broker under load: a wider deadline than
// the broker tests, still well inside what the README recommends.
const INTERVAL = 1500
const TIMEOUT = 1200
/** A connector state change reaches the status topic, then the agent's next run. */
const CHANGE = 30_000

interface ConnectorStatus { name: string, connector: { state: string, worker_id: string, trace?: string }, tasks: Array<{ id: number, state: string, worker_id: string, trace?: string }> }

forEachKafkaVersion(t, 'Connect checks', async (t, version) => {
  const cluster = await RealKafkaCluster.start(version)
  t.teardown(async () => {
    if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
    await cluster.stop(!t.passing())
  })
  const workers = await cluster.startConnect(2)
  const [w1, w2] = workers as [ConnectWorker, ConnectWorker]
  let unique = 0
  const name = (what: string): string => `${what}-${Date.now().toString(36)}-${++unique}`

  async function agentFor (t: Tap, w: ConnectWorker, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
    const a = await AgentProcess.start(['--connect-url', w.url, '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1', ...extra], env)
    t.teardown(async () => {
      if (!t.passing()) t.comment(`agent beside ${w.workerId}:\n${a.output.split('\n').slice(-15).join('\n')}`)
      await a.stop()
    })
    return a
  }

  async function status (connector: string): Promise<ConnectorStatus | undefined> {
    const res = await w1.rest('GET', `/connectors/${encodeURIComponent(connector)}/status`)
    return res.status === 200 ? res.json() as ConnectorStatus : undefined
  }

  /** Polls the worker's own status until `accept` holds. */
  async function waitConnector (connector: string, accept: (s: ConnectorStatus) => boolean, what: string): Promise<ConnectorStatus> {
    const started = Date.now()
    let last: ConnectorStatus | undefined
    for (;;) {
      last = await status(connector)
      if (last !== undefined && accept(last)) return last
      if (Date.now() - started > CHANGE) throw new Error(`${connector} never ${what} within ${CHANGE}ms; last: ${JSON.stringify(last)}`)
      await sleep(250)
    }
  }

  const allRunning = (s: ConnectorStatus, tasks = 1): boolean => s.connector.state === 'RUNNING' && s.tasks.length === tasks && s.tasks.every((x) => x.state === 'RUNNING')

  async function create (connector: string, config: Record<string, string>): Promise<void> {
    const res = await w1.rest('PUT', `/connectors/${encodeURIComponent(connector)}/config`, config)
    if (res.status !== 201 && res.status !== 200) throw new Error(`creating ${connector}: ${res.status} ${res.body}`)
    t.teardown(async () => { await w1.rest('DELETE', `/connectors/${encodeURIComponent(connector)}`).catch(() => undefined) })
  }

  const sink = (topic: string, extra: Record<string, string> = {}): Record<string, string> =>
    ({ 'connector.class': 'org.apache.kafka.connect.tools.MockSinkConnector', topics: topic, 'tasks.max': '1', ...extra })
  const source = (topic: string): Record<string, string> =>
    ({ 'connector.class': 'org.apache.kafka.connect.tools.MockSourceConnector', topic, 'tasks.max': '1' })

  t.test('the real worker answers GET /health (KIP-1017), and the agent uses it, not the legacy GET /', async (t) => {
    for (const w of workers) {
      const health = await w.rest('GET', '/health')
      t.equal(health.status, 200, `${w.workerId} GET /health`)
      t.match(health.json(), { status: 'healthy' })
    }
    const a = await agentFor(t, w1, ['--connectors', 'none-such'])
    await a.waitStatus('/livez', 200, 15_000)
    const s = await a.status()
    t.match(s.checks['connect-worker'], { ok: true, lastRun: { details: { status: 'healthy', legacy: false } } })
    t.match(s.checks['connect-ready'], { ok: true })
  })

  t.test('all RUNNING → 200; pause → 503 naming the connector; resume → 200', async (t) => {
    const a1 = name('sink'); const a2 = name('source')
    await create(a1, sink(name('topic')))
    await create(a2, source(name('topic')))
    await waitConnector(a1, (s) => allRunning(s), 'RUNNING')
    await waitConnector(a2, (s) => allRunning(s), 'RUNNING')
    const a = await agentFor(t, w1, ['--connectors', `${a1},${a2}`])
    const ready = await a.waitStatus('/readyz', 200, CHANGE)
    t.equal(ready.body, 'ok\n')
    t.equal((await a.get('/livez')).status, 200)
    t.equal((await a.get('/startupz')).status, 200)
    t.match((await a.get('/readyz?verbose')).body, /\[\+\]connect-ready ok\n\[\+\]connectors ok\nreadyz check passed/)
    const one = await a.get(`/connectors/${a1}`)
    t.equal(one.status, 200)
    t.match(JSON.parse(one.body), { state: 'RUNNING' })

    t.equal((await w1.rest('PUT', `/connectors/${a1}/pause`)).status, 202)
    const paused = await a.waitStatus('/readyz', 503, CHANGE)
    t.match(paused.body, `[-]connectors failed: CONNECTOR_PAUSED: 1 of 2 connectors unhealthy: ${a1} connector PAUSED`)
    t.ok(paused.slowest < TIMEOUT, `slowest probe answer meanwhile: ${paused.slowest.toFixed(1)}ms`)
    t.equal((await a.get('/livez')).status, 200, 'a connector\'s state never touches liveness')
    t.equal((await a.get(`/connectors/${a1}`)).status, 503)
    t.equal((await a.get(`/connectors/${a2}`)).status, 200)

    t.equal((await w1.rest('PUT', `/connectors/${a1}/resume`)).status, 202)
    await a.waitStatus('/readyz', 200, CHANGE)
    t.pass('resumed → 200')
  })

  t.test('stopped (PUT …/stop, KIP-875) → 503 CONNECTOR_STOPPED; resumed → 200', async (t) => {
    const c = name('stoppable')
    await create(c, sink(name('topic')))
    await waitConnector(c, (s) => allRunning(s), 'RUNNING')
    const a = await agentFor(t, w1, ['--connectors', c])
    await a.waitStatus('/readyz', 200, CHANGE)
    t.ok([202, 204].includes((await w1.rest('PUT', `/connectors/${c}/stop`)).status), 'stop accepted')
    // The connector reads STOPPED a moment before its tasks are gone (KIP-875: none while stopped).
    await waitConnector(c, (s) => s.connector.state === 'STOPPED' && s.tasks.length === 0, 'STOPPED without tasks')
    const res = await a.waitStatus('/readyz', 503, CHANGE)
    t.match(res.body, `[-]connectors failed: CONNECTOR_STOPPED: 1 of 1 connectors unhealthy: ${c} connector STOPPED`)
    t.equal((await a.get('/livez')).status, 200)
    t.equal((await w1.rest('PUT', `/connectors/${c}/resume`)).status, 202)
    await a.waitStatus('/readyz', 200, CHANGE)
    t.pass('resumed → 200')
  })

  t.test('a task that fails (MockSinkConnector task-failure) → 503 CONNECTOR_FAILED with the trace\'s first line; scoped agents see it only on its worker', async (t) => {
    const c = name('failing')
    const topic = name('topic')
    await create(c, sink(topic, { mock_mode: 'task-failure', delay_ms: '1000' }))
    // MockSinkTask fails in put(), which the worker calls only with records: give it some.
    const producer = cluster.kafka().producer()
    await producer.connect()
    t.teardown(async () => { await producer.disconnect() })
    const failed = await (async () => {
      const started = Date.now()
      for (;;) {
        await producer.send({ topic, messages: [{ value: '{"n":1}' }] })
        const s = await status(c)
        if (s?.tasks[0]?.state === 'FAILED') return s
        if (Date.now() - started > CHANGE) throw new Error(`task of ${c} never FAILED; last: ${JSON.stringify(s)}`)
        await sleep(500)
      }
    })()
    const task = failed.tasks[0]!
    const firstLine = (task.trace ?? '').split('\n')[0]!
    t.ok(firstLine.length > 0, `the worker reports a trace: ${firstLine}`)

    const a = await agentFor(t, w1, ['--connectors', c])
    // Not just any 503: before its first run the agent answers 503 PENDING.
    const res = await a.waitFor('/readyz', (r) => r.body.includes('CONNECTOR_FAILED'), CHANGE, 'CONNECTOR_FAILED')
    t.equal(res.status, 503)
    t.match(res.body, `[-]connectors failed: CONNECTOR_FAILED: 1 of 1 connectors unhealthy: ${c} task 0 FAILED on ${task.worker_id}: ${firstLine}`)
    t.notMatch(res.body, '\tat ', 'only the first line of the trace')
    const one = await a.get(`/connectors/${encodeURIComponent(c)}`)
    t.equal(one.status, 503)
    t.match(one.body, firstLine)
    t.equal((await a.get('/livez')).status, 200, 'a FAILED task never touches liveness')

    // Each worker's scoped agent: only the one that runs the failed task fails.
    const scoped = await Promise.all(workers.map(async (w) => ({ w, a: await agentFor(t, w, ['--connectors', c, '--connect-worker-id', w.workerId]) })))
    for (const { w, a } of scoped) {
      const runsIt = w.workerId === task.worker_id
      const answer = runsIt
        ? await a.waitFor('/readyz', (r) => r.status === 503 && r.body.includes(`CONNECTOR_FAILED: 1 of 1 connectors unhealthy: ${c} task 0 FAILED on ${w.workerId}`), CHANGE, 'CONNECTOR_FAILED on this worker')
        : await a.waitStatus('/readyz', 200, CHANGE)
      t.pass(`${w.workerId} ${runsIt ? 'runs the failed task: 503' : 'does not run it: 200'}: ${answer.body.trim()}`)
    }
    t.ok(workers.some((w) => w.workerId === task.worker_id), `the task runs on one of our workers (${task.worker_id})`)
  })

  t.test('--connect-check-tasks-max against the real ?expand=info: a connector that makes fewer tasks than tasks.max → TASKS_BELOW_MAX', async (t) => {
    // VerifiableSink makes as many tasks as asked; MockSink makes one whatever tasks.max says.
    const full = name('verifiable')
    const short = name('mock-short')
    await create(full, { 'connector.class': 'org.apache.kafka.connect.tools.VerifiableSinkConnector', topics: name('topic'), 'tasks.max': '2', id: full })
    await create(short, sink(name('topic'), { 'tasks.max': '2' }))
    await waitConnector(full, (s) => allRunning(s, 2), 'RUNNING with 2 tasks')
    const shortStatus = await waitConnector(short, (s) => allRunning(s, s.tasks.length) && s.tasks.length > 0, 'RUNNING')
    t.ok(shortStatus.tasks.length < 2, `MockSink made ${shortStatus.tasks.length} task(s) for tasks.max 2`)

    const plain = await agentFor(t, w1, ['--connectors', `${full},${short}`])
    t.equal((await plain.waitStatus('/readyz', 200, CHANGE)).body, 'ok\n', 'without the flag, running tasks are enough')
    const strict = await agentFor(t, w1, ['--connectors', `${full},${short}`, '--connect-check-tasks-max'])
    const res = await strict.waitFor('/readyz', (r) => r.body.includes('TASKS_BELOW_MAX'), CHANGE, 'TASKS_BELOW_MAX')
    t.equal(res.status, 503)
    t.match(res.body, `TASKS_BELOW_MAX: 1 of 2 connectors unhealthy: ${short} only ${shortStatus.tasks.length} of tasks.max 2 tasks exist`)
    t.notMatch(res.body, full, 'the connector with all its tasks is not named')
  })

  t.test('self-healing: a task FAILED on this worker is restarted for real (KIP-745, onlyFailed), with backoff', async (t) => {
    const c = name('healing')
    const topic = name('topic')
    await create(c, sink(topic, { mock_mode: 'task-failure', delay_ms: '1000' }))
    const producer = cluster.kafka().producer()
    await producer.connect()
    t.teardown(async () => { await producer.disconnect() })
    // Records keep coming, so a restarted MockSink task fails again a second after it starts.
    const feeding = { on: true }
    const feeder = (async () => {
      while (feeding.on) {
        await producer.send({ topic, messages: [{ value: '{"n":1}' }] }).catch(() => undefined)
        await sleep(300)
      }
    })()
    t.teardown(async () => { feeding.on = false; await feeder })
    const failed = await waitConnector(c, (s) => s.tasks[0]?.state === 'FAILED', 'task FAILED')
    const host = workers.find((w) => w.workerId === failed.tasks[0]!.worker_id)
    if (host === undefined) throw new Error(`the task runs on no worker of ours: ${JSON.stringify(failed)}`)
    // Lines the worker logs each time the task dies (it may log one death more than once).
    const deaths = (): number => host.jvm.log().split('\n').filter((l) => l.includes(`{id=${c}-0}`) && l.includes('Task threw an uncaught and unrecoverable exception')).length
    const before = deaths()
    t.ok(before >= 1, `the worker logged the task's failure (${before} lines)`)

    const a = await agentFor(t, host, ['--connectors', c, '--connect-worker-id', host.workerId, '--connect-restart-failed',
      '--connect-restart-backoff', '2s', '--connect-restart-max-backoff', '4s', '--connect-restart-max-attempts', '2'])
    const restarted = await a.waitFor('/metrics', (r) => /kafka_healthz_connect_restarts_total\{connector="[^"]+",result="requested"\} [1-9]/.test(r.body), CHANGE, 'a restart requested')
    t.match(restarted.body, `kafka_healthz_connect_restarts_total{connector="${c}",result="requested"}`)
    // The worker really restarted the failed task: it runs, meets a record after its 1 s delay, and dies again.
    const started = Date.now()
    while (deaths() <= before && Date.now() - started < CHANGE) await sleep(250)
    t.ok(deaths() > before, `the task died again after the agent's restart (${deaths()} failure lines, ${before} before)`)
    t.match(a.output, new RegExp(`restart 1/2 of connector ${c} requested \\(task 0 FAILED on this worker\\)`))
    // Still failing after the last attempt: the agent gives up, readiness stays failed, nothing restarts it any more.
    const gaveUp = await a.waitFor('/status', (r) => r.body.includes('gave up after 2 restarts'), CHANGE, 'gave up after 2 restarts')
    t.match(gaveUp.body, 'restart it by hand')
    t.equal((await a.get('/readyz')).status, 503)
    t.match((await a.get('/metrics')).body, 'kafka_healthz_connect_restarts_given_up 1')
  })

  t.test('self-healing never restarts a PAUSED connector\'s FAILED task; once resumed, it does', async (t) => {
    const c = name('paused-healing')
    const topic = name('topic')
    await create(c, sink(topic, { mock_mode: 'task-failure', delay_ms: '500' }))
    const producer = cluster.kafka().producer()
    await producer.connect()
    t.teardown(async () => { await producer.disconnect() })
    await producer.send({ topic, messages: [{ value: '{"n":1}' }] })
    const failed = await waitConnector(c, (s) => s.tasks[0]?.state === 'FAILED', 'task FAILED')
    const host = workers.find((w) => w.workerId === failed.tasks[0]!.worker_id)
    if (host === undefined) throw new Error(`the task runs on no worker of ours: ${JSON.stringify(failed)}`)
    // Someone paused it to look into the failure: the worker keeps the dead task FAILED.
    const paused = await w1.rest('PUT', `/connectors/${c}/pause`)
    t.equal(paused.status, 202, `paused: ${paused.body}`)
    const seen = await waitConnector(c, (s) => s.connector.state === 'PAUSED', 'PAUSED')
    t.equal(seen.tasks[0]?.state, 'FAILED', 'the worker reports the connector PAUSED and its task still FAILED')

    const a = await agentFor(t, host, ['--connectors', c, '--connect-worker-id', host.workerId, '--connect-restart-failed',
      '--connect-restart-backoff', '1s', '--connect-restart-max-backoff', '2s'])
    const held = await a.waitFor('/readyz', (r) => r.body.includes('not restarted while the connector is PAUSED'), CHANGE, 'not restarted while PAUSED')
    t.equal(held.status, 503, 'a paused connector with a failed task still fails readiness')
    t.match(held.body, `task 0 FAILED on ${host.workerId}`)
    // Five runs with a FAILED task on this worker and no backoff to wait for: none may restart it.
    await sleep(5 * INTERVAL)
    t.notMatch((await a.get('/metrics')).body, /kafka_healthz_connect_restarts_total\{connector="[^"]+",result="requested"\} [1-9]/, 'no restart requested')
    t.notMatch(a.output, /restart \d+\/\d+ of connector/, 'no restart logged')
    t.equal((await status(c))?.connector.state, 'PAUSED', 'still PAUSED: the agent did not resume it either')

    // The control: the same agent restarts it as soon as someone resumes it.
    t.equal((await w1.rest('PUT', `/connectors/${c}/resume`)).status, 202)
    await a.waitFor('/metrics', (r) => /kafka_healthz_connect_restarts_total\{connector="[^"]+",result="requested"\} [1-9]/.test(r.body), CHANGE, 'a restart once resumed')
    t.match(a.output, new RegExp(`restart 1/\\d+ of connector ${c} requested \\(task 0 FAILED on this worker\\)`))
  })

  t.test('basic auth on the REST API (BasicAuthSecurityRestExtension): right credentials → ready; wrong → /readyz 503 AUTH, /livez 200', async (t) => {
    const user = 'healthz'
    const password = 'connect-secret'
    const users = join(cluster.dir, 'connect-users.properties')
    writeFileSync(users, `${user}: ${password}\n`)
    const jaas = join(cluster.dir, 'connect-jaas.conf')
    writeFileSync(jaas, `KafkaConnect {\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file="${users}";\n};\n`)
    const passwordFile = join(cluster.dir, 'connect-password')
    writeFileSync(passwordFile, `${password}\n`)
    // A worker of its own group: the others keep serving without auth.
    const [w] = await cluster.startConnect(1, {
      props: { 'rest.extension.classes': 'org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension' },
      jvmArgs: [`-Djava.security.auth.login.config=${jaas}`],
      auth: { username: user, password },
    }) as [ConnectWorker]
    t.teardown(async () => { await w.jvm.kill() })
    const anonymous = await request(`${w.url}/connectors`, { signal: AbortSignal.timeout(10_000) })
    await anonymous.body.dump()
    t.equal(anonymous.statusCode, 401, 'the worker demands credentials')

    const c = name('guarded')
    const created = await w.rest('PUT', `/connectors/${c}/config`, sink(name('topic')))
    t.ok([200, 201].includes(created.status), `created: ${created.status}`)
    const started = Date.now()
    while ((await w.rest('GET', `/connectors/${c}/status`)).body.split('"RUNNING"').length < 3) {
      if (Date.now() - started > CHANGE) throw new Error(`${c} never RUNNING`)
      await sleep(250)
    }

    const right = await agentFor(t, w, ['--connectors', c, '--connect-username', user, '--connect-password-file', passwordFile])
    const wrong = await agentFor(t, w, ['--connectors', c, '--connect-username', user], { HEALTHZ_CONNECT_PASSWORD: `${password}-not` })
    const ok = await right.waitStatus('/readyz', 200, CHANGE)
    t.equal(ok.body, 'ok\n', 'right credentials (from a password file): ready')
    const refused = await wrong.waitFor('/readyz', (r) => r.body.includes('AUTH'), CHANGE, 'AUTH')
    t.equal(refused.status, 503)
    t.match(refused.body, /\[-\]connectors failed: AUTH: /)
    t.notMatch(refused.body, `${password}-not`, 'the password never shows')
    const live = await wrong.get('/livez?verbose')
    t.equal(live.status, 200, `refused credentials are the worker answering: liveness holds (${live.body.trim()})`)
  })

  t.test('the REST API over mutual TLS: right CA and client certificate → ready; a CA that does not match, or no certificate → /readyz 503 CONNECT_TLS, /livez 200', async (t) => {
    const pki = makePki()
    const other = makePki()
    const password = 'connect-keystore'
    const keystore = join(pki.dir, 'connect.p12')
    const truststore = join(pki.dir, 'connect-trust.p12')
    execFileSync('openssl', ['pkcs12', '-export', '-in', join(pki.dir, 'server.pem'), '-inkey', join(pki.dir, 'server.key'), '-certfile', pki.caFile,
      '-name', 'connect', '-out', keystore, '-passout', `pass:${password}`], { stdio: 'pipe' })
    execFileSync('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', pki.caFile, '-keystore', truststore, '-storetype', 'PKCS12', '-storepass', password], { stdio: 'pipe' })
    const client = { ca: pki.ca, cert: execFileSync('cat', [pki.clientCertFile]).toString(), key: execFileSync('cat', [pki.clientKeyFile]).toString() }
    // A worker of its own group: the others keep serving plain HTTP.
    const [w] = await cluster.startConnect(1, { https: { keystore, password, truststore, client } }) as [ConnectWorker]
    t.teardown(async () => { await w.jvm.kill() })
    t.match(w.url, /^https:/)
    const c = name('over-tls')
    const created = await w.rest('PUT', `/connectors/${c}/config`, sink(name('topic')))
    t.ok([200, 201].includes(created.status), `created over TLS: ${created.status}`)

    const tlsArgs = ['--connectors', c, '--connect-tls-cert-file', pki.clientCertFile, '--connect-tls-key-file', pki.clientKeyFile]
    const right = await agentFor(t, w, [...tlsArgs, '--connect-tls-ca-file', pki.caFile])
    const wrongCa = await agentFor(t, w, [...tlsArgs, '--connect-tls-ca-file', other.caFile])
    const noCert = await agentFor(t, w, ['--connectors', c, '--connect-tls-ca-file', pki.caFile])
    const ok = await right.waitStatus('/readyz', 200, CHANGE)
    t.equal(ok.body, 'ok\n', 'the right CA and client certificate: ready, the connector RUNNING')
    for (const [a, what] of [[wrongCa, 'a CA that does not match'], [noCert, 'no client certificate']] as const) {
      const refused = await a.waitFor('/readyz', (r) => r.body.includes('CONNECT_TLS'), CHANGE, `CONNECT_TLS (${what})`)
      t.equal(refused.status, 503, `${what}: not ready`)
      t.match(refused.body, /\[-\]connect-ready failed: CONNECT_TLS: /)
      // The worker completed a handshake: it is alive, and a restart would not mend our certificate.
      const live = await a.get('/livez?verbose')
      t.equal(live.status, 200, `${what}: liveness spares the worker (${live.body.trim().split('\n').join(' | ')})`)
    }
  })

  t.test('worker 2 leaves the group (SIGTERM): its work moves to worker 1 through UNASSIGNED; the agent beside worker 1 stays 200 within the grace', async (t) => {
    const prefix = name('moving')
    const names = [1, 2, 3, 4].map((i) => `${prefix}-${i}`)
    for (const c of names) await create(c, sink(name('topic')))
    const placed = await Promise.all(names.map(async (c) => await waitConnector(c, (s) => allRunning(s), 'RUNNING')))
    const onW2 = placed.filter((s) => s.connector.worker_id === w2.workerId || s.tasks.some((x) => x.worker_id === w2.workerId))
    t.ok(onW2.length > 0, `the group spread the work: ${onW2.length} of 4 connectors have a part on worker 2`)
    const a = await agentFor(t, w1, ['--connectors', `${prefix}-*`])
    await a.waitStatus('/readyz', 200, CHANGE)

    // Watch the agent and the worker's own statuses side by side while worker 2 leaves.
    const answers: Array<{ status: number, body: string }> = []
    const states = new Set<string>()
    const watching = { on: true }
    const watcher = (async () => {
      while (watching.on) {
        answers.push(await a.get('/readyz?verbose'))
        for (const c of names) {
          const s = await status(c)
          if (s !== undefined) for (const x of [s.connector, ...s.tasks]) states.add(x.state)
        }
        await sleep(100)
      }
    })()
    t.teardown(async () => { watching.on = false; await watcher })
    w2.jvm.signal('SIGTERM')
    t.comment(`worker 2 exited with ${String(await w2.jvm.waitExit())}`)
    await Promise.all(names.map(async (c) => await waitConnector(c, (s) => allRunning(s) && s.connector.worker_id === w1.workerId && s.tasks.every((x) => x.worker_id === w1.workerId), 'RUNNING on worker 1')))
    await sleep(2 * INTERVAL) // the agent's runs after the move
    watching.on = false
    await watcher
    const failed = answers.filter((r) => r.status !== 200)
    t.same(failed.map((r) => r.body), [], `the agent beside worker 1 stayed 200 through ${answers.length} answers`)
    t.comment(`states the worker reported during the move: ${[...states].sort().join(', ')}`)

    // Worker 2 back, for the tests that follow.
    w2.jvm.start()
    await w2.waitReady(120_000)
  })

  t.test('a worker SIGKILLed while Kafka waits scheduled.rebalance.max.delay.ms: its work still reads RUNNING, the unscoped agent says UNASSIGNED after the grace, and 200 once it is back', async (t) => {
    // A group of its own that keeps a lost worker's assignment for a minute, as Kafka does for
    // five by default, so that the worker can come back to its work.
    const [a, b] = await cluster.startConnect(2, { props: { 'scheduled.rebalance.max.delay.ms': 60_000 } }) as [ConnectWorker, ConnectWorker]
    t.teardown(async () => { await Promise.all([a.jvm.kill(), b.jvm.kill()]) })
    const prefix = name('lost')
    const names = [1, 2, 3, 4].map((i) => `${prefix}-${i}`)
    for (const c of names) {
      const res = await a.rest('PUT', `/connectors/${c}/config`, sink(name('topic')))
      if (res.status !== 201 && res.status !== 200) throw new Error(`creating ${c}: ${res.status} ${res.body}`)
    }
    const statusOn = async (c: string): Promise<ConnectorStatus | undefined> => {
      const res = await a.rest('GET', `/connectors/${c}/status`)
      return res.status === 200 ? res.json() as ConnectorStatus : undefined
    }
    const until = async (what: string, accept: (all: ConnectorStatus[]) => boolean): Promise<ConnectorStatus[]> => {
      const started = Date.now()
      for (;;) {
        const all = (await Promise.all(names.map(statusOn))).filter((s) => s !== undefined)
        if (all.length === names.length && accept(all)) return all
        if (Date.now() - started > 60_000) throw new Error(`never ${what}: ${JSON.stringify(all)}`)
        await sleep(250)
      }
    }
    const onB = (s: ConnectorStatus): boolean => s.connector.worker_id === b.workerId || s.tasks.some((x) => x.worker_id === b.workerId)
    await until('all RUNNING with some on b', (all) => all.every((s) => allRunning(s)) && all.some(onB))
    const watching = await agentFor(t, a, ['--connectors', `${prefix}-*`, '--connect-transition-grace', '3s'])
    const trusting = await agentFor(t, a, ['--connectors', `${prefix}-*`, '--connect-transition-grace', '3s', '--connect-departed-workers=false'])
    await watching.waitStatus('/readyz', 200, CHANGE)
    await trusting.waitStatus('/readyz', 200, CHANGE)

    await b.jvm.kill()
    const killedAt = Date.now()
    const caught = await watching.waitFor('/readyz', (r) => r.body.includes('CONNECTOR_UNASSIGNED'), CHANGE, 'CONNECTOR_UNASSIGNED')
    t.equal(caught.status, 503)
    t.match(caught.body, `RUNNING on ${b.workerId}, a worker that is gone`)
    t.comment(`503 ${Date.now() - killedAt}ms after SIGKILL (grace 3 s)`)
    const lying = (await until('read', () => true)).filter(onB)
    t.ok(lying.length > 0 && lying.every((s) => allRunning(s)), `the worker still reports ${lying.length} connectors RUNNING on the dead worker`)
    t.equal((await trusting.get('/readyz')).status, 200, 'taking the worker at its word, an agent stays ready while that work runs nowhere')

    b.jvm.start()
    await b.waitReady(120_000)
    const back = await watching.waitStatus('/readyz', 200, 90_000)
    t.pass(`ready again ${back.after}ms after the worker answered: it took its work back`)
  })

  t.test('worker 2 frozen (SIGSTOP) → its agent fails liveness with TIMEOUT, probes stay fast; SIGCONT → 200', async (t) => {
    const a2 = await agentFor(t, w2, ['--connectors', 'none-such'])
    await a2.waitStatus('/livez', 200, CHANGE)
    w2.jvm.signal('SIGSTOP')
    t.teardown(() => { if (w2.jvm.running) w2.jvm.signal('SIGCONT') })
    const frozenAt = Date.now()
    const res = await a2.waitStatus('/livez', 503, TIMEOUT + INTERVAL + 3000)
    // "within 1200ms" (the run's deadline) or "within the deadline (UND_ERR_HEADERS_TIMEOUT)"
    // (undici's own timer, set to the same deadline, firing a hair first): the same silence.
    t.match(res.body, /\[-\]connect-worker failed: TIMEOUT: no answer within /)
    t.ok(res.slowest < TIMEOUT / 2, `slowest probe answer while frozen: ${res.slowest.toFixed(1)}ms (503 after ${Date.now() - frozenAt}ms)`)
    w2.jvm.signal('SIGCONT')
    const back = await a2.waitStatus('/livez', 200, CHANGE)
    t.pass(`live again ${back.after}ms after SIGCONT`)
  })

  t.test('worker 2 killed: worker 1\'s agent stays live; the agent beside worker 2 fails liveness with CONNECT_UNREACHABLE', async (t) => {
    const a1 = await agentFor(t, w1, ['--connectors', 'none-such'])
    const a2 = await agentFor(t, w2, ['--connectors', 'none-such'])
    await a1.waitStatus('/livez', 200, CHANGE)
    await a2.waitStatus('/livez', 200, CHANGE)
    await w2.jvm.kill()
    const dead = await a2.waitStatus('/livez', 503, TIMEOUT + INTERVAL + 2000)
    t.match(dead.body, /\[-\]connect-worker failed: CONNECT_UNREACHABLE: .*ECONNREFUSED/)
    t.equal((await a1.get('/livez')).status, 200, 'the other worker\'s agent is unaffected')
  })
})
