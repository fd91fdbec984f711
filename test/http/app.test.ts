import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { createAgent } from '../../src/agent'
import { buildApp } from '../../src/http/app'
import { createLogger } from '../../src/log/logger'
import { configFrom, LogSink, startAgent, type TestAgent } from '../helpers/agent'
import { FakeBrokerClient } from '../helpers/fakes'

async function ready (client = new FakeBrokerClient(), extra: string[] = []): Promise<TestAgent> {
  const config = configFrom(['--kafka-brokers', 'kafka-1:9092', '--kafka-broker-id', '1', '--interval', '1m', '--timeout', '100ms', '--failure-threshold', '1', ...extra])
  const a = await startAgent(config, { brokerClient: client }, { start: false })
  await a.agent.runner.runCycle()
  return a
}

t.test('probe answers: ok, verbose, per check, exclude', async (t) => {
  const client = new FakeBrokerClient()
  const a = await ready(client)
  t.teardown(a.close)
  const ok = await a.app.inject({ url: '/readyz' })
  t.equal(ok.statusCode, 200)
  t.equal(ok.body, 'ok\n')
  t.equal(ok.headers['content-type'], 'text/plain; charset=utf-8')
  t.equal(ok.headers['cache-control'], 'no-store')
  t.equal((await a.app.inject({ url: '/readyz?verbose' })).body, '[+]reachable ok\n[+]registered ok\n[+]in-sync ok\nreadyz check passed\n')
  t.equal((await a.app.inject({ url: '/livez?verbose' })).body, '[+]reachable ok\nlivez check passed\n')

  client.brokers = [2, 3]
  await a.agent.runner.runCycle()
  const bad = await a.app.inject({ url: '/readyz' })
  t.equal(bad.statusCode, 503)
  t.equal(bad.headers['retry-after'], '60')
  t.equal(bad.body, '[+]reachable ok\n[-]registered failed: BROKER_NOT_REGISTERED: broker id 1 is not in the cluster metadata (brokers: 2,3)\n[+]in-sync ok\nreadyz check failed\n')
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200, 'liveness ignores cluster state')
  t.equal((await a.app.inject({ url: '/readyz/reachable' })).statusCode, 200)
  t.equal((await a.app.inject({ url: '/readyz/registered' })).statusCode, 503)
  const excluded = await a.app.inject({ url: '/readyz?exclude=registered&verbose' })
  t.equal(excluded.statusCode, 200)
  t.match(excluded.body, '[+]registered excluded: BROKER_NOT_REGISTERED')
  t.equal((await a.app.inject({ url: '/readyz?exclude=registered,reachable' })).statusCode, 200, 'comma lists work too')
  t.equal((await a.app.inject({ url: '/readyz?exclude=registered&exclude=reachable' })).statusCode, 200)
  const typo = await a.app.inject({ url: '/readyz?exclude=registerd' })
  t.equal(typo.statusCode, 503, 'an exclude that matches nothing excludes nothing')
  t.match(typo.body, 'warn: some health checks cannot be excluded: no matches for "registerd"')
  const unknown = await a.app.inject({ url: '/livez/registered' })
  t.equal(unknown.statusCode, 404, 'registered is not a liveness check')
  t.equal(unknown.body, 'no check "registered" in livez; its checks: reachable\n')
})

t.test('handlers read the cache: no probe, status or scrape request reaches the broker', async (t) => {
  const client = new FakeBrokerClient()
  const a = await ready(client)
  t.teardown(a.close)
  const calls = client.calls
  for (let i = 0; i < 50; i++) {
    for (const url of ['/livez', '/readyz', '/startupz', '/readyz/registered', '/status', '/metrics', '/ping']) await a.app.inject({ url })
  }
  t.equal(client.calls, calls)
})

t.test('startupz follows its checks (the kubelet latches it per container)', async (t) => {
  const client = new FakeBrokerClient()
  client.error = { kind: 'unreachable', message: 'refused' }
  const a = await ready(client)
  t.teardown(a.close)
  t.equal((await a.app.inject({ url: '/startupz' })).statusCode, 503)
  client.error = undefined
  await a.agent.runner.runCycle()
  t.equal((await a.app.inject({ url: '/startupz' })).statusCode, 200)
  // The broker container restarts while this sidecar keeps running: startup is judged afresh,
  // so liveness is held off again during its log recovery.
  client.error = { kind: 'unreachable', message: 'refused' }
  await a.agent.runner.runCycle()
  t.equal((await a.app.inject({ url: '/startupz' })).statusCode, 503)
})

t.test('a stuck check loop: readiness fails, liveness spares the broker, /ping fails', async (t) => {
  let mono = 0
  const config = configFrom(['--kafka-brokers', 'kafka-1:9092', '--interval', '1s', '--timeout', '100ms'])
  const a = await startAgent(config, { brokerClient: new FakeBrokerClient(), monotonic: () => mono }, { start: false })
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  t.equal((await a.app.inject({ url: '/ping' })).statusCode, 200)
  mono += 3 * 1000 + 100 + 1 // past 3 intervals + the timeout
  const ready = await a.app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 503)
  t.match(ready.body, '[-]reachable failed: STALE: no check run has completed in')
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200)
  const ping = await a.app.inject({ url: '/ping' })
  t.equal(ping.statusCode, 503)
  t.match(ping.body, 'STALE')
})

t.test('before the first run: 503 PENDING', async (t) => {
  const config = configFrom(['--kafka-brokers', 'kafka-1:9092', '--interval', '1m', '--timeout', '100ms'])
  const client = new FakeBrokerClient()
  client.hang = true
  const a = await startAgent(config, { brokerClient: client })
  t.teardown(a.close)
  const res = await a.app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.match(res.body, 'PENDING: no check run has completed yet')
})

t.test('SIGTERM drain: readiness fails at once, liveness and ping keep answering', async (t) => {
  const a = await ready()
  t.teardown(a.close)
  a.agent.lifecycle.shuttingDown = true
  const res = await a.app.inject({ url: '/readyz' })
  t.equal(res.statusCode, 503)
  t.match(res.body, '[-]shutdown failed: SHUTTING_DOWN')
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200)
  t.equal((await a.app.inject({ url: '/ping' })).statusCode, 200)
  t.equal((await a.app.inject({ url: '/readyz?exclude=shutdown' })).statusCode, 503, 'shutdown cannot be excluded')
  t.equal((await a.app.inject({ url: '/readyz/reachable' })).statusCode, 503, 'per-check readiness drains too')
  t.equal((await a.app.inject({ url: '/livez/reachable' })).statusCode, 200)
})

t.test('GET and HEAD only; unknown paths 404', async (t) => {
  const a = await ready()
  t.teardown(a.close)
  const head = await a.app.inject({ method: 'HEAD', url: '/readyz' })
  t.equal(head.statusCode, 200)
  t.equal(head.body, '')
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH'] as const) {
    const res = await a.app.inject({ method, url: '/readyz' })
    t.equal(res.statusCode, 405, method)
    t.equal(res.headers.allow, 'GET, HEAD')
  }
  t.equal((await a.app.inject({ method: 'POST', url: '/metrics' })).statusCode, 405)
  t.equal((await a.app.inject({ url: '/healthz/x/y' })).statusCode, 404)
  t.equal((await a.app.inject({ url: '/nope' })).statusCode, 404)
  t.equal((await a.app.inject({ method: 'POST', url: '/nope' })).statusCode, 404)
  const index = await a.app.inject({ url: '/' })
  t.match(index.body, '/readyz')
  t.equal((await a.app.inject({ url: '/ping' })).body, 'ok\n')
})

t.test('/status: every check with its last run and details, config without secrets', async (t) => {
  const config = configFrom(['--kafka-brokers', 'kafka-1:9092', '--kafka-broker-id', '1', '--interval', '1m', '--timeout', '100ms',
    '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'agent'], { HEALTHZ_KAFKA_SASL_PASSWORD: 'hunter2-secret' })
  const a = await startAgent(config, { brokerClient: new FakeBrokerClient() }, { start: false })
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  const res = await a.app.inject({ url: '/status' })
  t.equal(res.statusCode, 200)
  t.notMatch(res.body, 'hunter2-secret')
  const s = JSON.parse(res.body)
  t.equal(s.config.kafkaSaslPassword, '<redacted>')
  t.equal(s.config.kafkaSaslUsername, 'agent')
  t.equal(s.config.interval, '1m')
  t.same(s.probes.readyz, { ok: true, checks: ['reachable', 'registered', 'in-sync'] })
  t.equal(s.checks.registered.ok, true)
  t.equal(s.checks.registered.lastRun.reason, 'OK')
  t.type(s.checks.registered.lastRun.durationMs, 'number')
  t.match(s.checks.registered.lastRun.finishedAt, /^\d{4}-\d\d-\d\dT/)
  t.same(s.checks.registered.lastRun.details.brokers.map((b: { nodeId: number }) => b.nodeId), [1, 2, 3])
  t.equal(s.shuttingDown, false)
  t.notMatch((await a.app.inject({ url: '/metrics' })).body, 'hunter2-secret')
  t.notMatch(a.logs.text, 'hunter2-secret')
})

t.test('/metrics: prefixed names with units, verdicts, probe counters, process metrics', async (t) => {
  const client = new FakeBrokerClient()
  const a = await ready(client)
  t.teardown(a.close)
  await a.app.inject({ url: '/readyz' })
  await a.app.inject({ url: '/readyz' })
  await a.app.inject({ url: '/readyz/registered' })
  await a.app.inject({ url: '/nope' })
  client.error = { kind: 'unreachable', message: 'x' }
  await a.agent.runner.runCycle()
  await a.app.inject({ url: '/livez' })
  const res = await a.app.inject({ url: '/metrics' })
  t.match(res.headers['content-type'], 'text/plain; version=0.0.4')
  const m = res.body
  t.match(m, 'kafka_healthz_check_up{check="reachable"} 0')
  t.match(m, 'kafka_healthz_probe_up{probe="readyz"} 0')
  t.match(m, 'kafka_healthz_probe_up{probe="startupz"} 0')
  t.match(m, 'kafka_healthz_probe_requests_total{endpoint="/readyz",code="200"} 2')
  t.match(m, 'kafka_healthz_probe_requests_total{endpoint="/readyz/:check",code="200"} 1')
  t.match(m, 'kafka_healthz_probe_requests_total{endpoint="unmatched",code="404"} 1')
  t.match(m, 'kafka_healthz_probe_requests_total{endpoint="/livez",code="503"} 1')
  t.match(m, 'kafka_healthz_check_runs_total{check="reachable",result="failure"} 1')
  t.match(m, 'kafka_healthz_check_failures_total{check="reachable",reason="KAFKA_UNREACHABLE"} 1')
  t.match(m, /kafka_healthz_check_duration_seconds_count\{check="registered"\} 2/)
  t.match(m, /kafka_healthz_check_last_run_timestamp_seconds\{check="registered"\} \d+/)
  t.match(m, /kafka_healthz_build_info\{version="\d+\.\d+\.\d+",nodejs="[\d.]+"\} 1/)
  t.notMatch(m, /^kafka_healthz_kafka_brokers\{/m, 'no broker count when the broker did not answer')
  t.match(m, 'process_resident_memory_bytes')
  for (const line of m.split('\n').filter((l) => l.startsWith('# TYPE kafka_healthz_'))) {
    const [, , name, type] = line.split(' ')
    if (type === 'counter') t.match(name ?? '', /_total$/, String(name))
  }
})

t.test('the plain-probe fast path answers as the full verdict does, in every state', async (t) => {
  let mono = 0
  const client = new FakeBrokerClient()
  const config = configFrom(['--kafka-brokers', 'kafka-1:9092', '--kafka-broker-id', '1', '--interval', '1s', '--timeout', '100ms', '--failure-threshold', '1'])
  const a = await startAgent(config, { brokerClient: client, monotonic: () => mono }, { start: false })
  t.teardown(a.close)
  const agree = (state: string): void => {
    for (const probe of ['livez', 'readyz', 'startupz'] as const) {
      t.equal(a.agent.probes.passes(probe), a.agent.probes.evaluate(probe).ok, `${probe}, ${state}`)
    }
  }
  agree('pending')
  await a.agent.runner.runCycle()
  agree('passing')
  client.brokers = [2, 3]
  await a.agent.runner.runCycle()
  agree('not registered')
  client.error = { kind: 'unreachable', message: 'refused' }
  await a.agent.runner.runCycle()
  agree('unreachable')
  client.error = undefined
  client.brokers = [1, 2, 3]
  await a.agent.runner.runCycle()
  a.agent.lifecycle.stopping = 1
  agree('prestop waiting')
  a.agent.lifecycle.stopping = 0
  a.agent.lifecycle.shuttingDown = true
  agree('shutting down')
  a.agent.lifecycle.shuttingDown = false
  mono += 3 * 1000 + 100 + 1
  agree('stale')
})

t.test('probe_requests_total keeps counting across scrapes', async (t) => {
  const a = await ready()
  t.teardown(a.close)
  await a.app.inject({ url: '/readyz' })
  await a.app.inject({ method: 'HEAD', url: '/readyz' })
  t.match((await a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_probe_requests_total{endpoint="/readyz",code="200"} 2')
  await a.app.inject({ url: '/readyz' })
  await a.app.inject({ url: '/readyz?verbose' })
  const m = (await a.app.inject({ url: '/metrics' })).body
  t.match(m, 'kafka_healthz_probe_requests_total{endpoint="/readyz",code="200"} 4')
  t.match(m, 'kafka_healthz_probe_requests_total{endpoint="/metrics",code="200"} 1', 'the first scrape counted once it was done')
})

t.test('fastify has no logger of its own: requests log through ours at debug, server errors at error', async (t) => {
  const build = async (level: string): Promise<{ app: FastifyInstance, logs: LogSink }> => {
    const logs = new LogSink()
    const logger = createLogger(level, logs)
    const agent = createAgent(configFrom(['--kafka-brokers', 'kafka-1:9092', '--interval', '1m', '--timeout', '100ms']), { logger, brokerClient: new FakeBrokerClient() })
    const app = buildApp({ agent, logger })
    app.get('/boom', async () => { throw new Error('kaboom') })
    await app.ready()
    t.teardown(async () => { await app.close(); await agent.close() })
    return { app, logs }
  }
  const debug = await build('debug')
  await debug.app.inject({ url: '/readyz?verbose' })
  const line = debug.logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'request')
  t.match(line, { level: 'debug', method: 'GET', url: '/readyz?verbose', statusCode: 503 }, 'one debug line per request, with its status')
  t.type(line?.ms, 'number')
  const boom = await debug.app.inject({ url: '/boom' })
  t.equal(boom.statusCode, 500)
  t.same(JSON.parse(boom.body), { statusCode: 500, error: 'Internal Server Error', message: 'kaboom' }, 'answered as fastify answers')
  t.match(debug.logs.text, /"level":"error",[^\n]*"message":"kaboom"[^\n]*"msg":"request failed"/)
  const big = await debug.app.inject({ method: 'POST', url: '/readyz', payload: 'x'.repeat(2048), headers: { 'content-type': 'text/plain' } })
  t.equal(big.statusCode, 413, 'a body over the limit is refused')
  t.match(debug.logs.text, /"level":"debug",[^\n]*"statusCode":413[^\n]*"msg":"bad request"/, 'client errors at debug')

  const info = await build('info')
  await info.app.inject({ url: '/readyz' })
  await info.app.inject({ url: '/boom' })
  t.notMatch(info.logs.text, '"msg":"request"', 'no request lines at info')
  t.match(info.logs.text, '"msg":"request failed"', 'server errors are logged at any level')
  const metrics = await info.app.inject({ url: '/metrics' })
  t.match(metrics.body, 'kafka_healthz_probe_requests_total{endpoint="/readyz",code="503"} 1')
  t.match(metrics.body, 'kafka_healthz_probe_requests_total{endpoint="/boom",code="500"} 1')
})
