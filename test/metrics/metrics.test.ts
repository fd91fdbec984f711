// Series of closed label sets exist at 0 before the first event (Prometheus instrumentation
// guidance): a counter series that first appears at 1 shows no rate() or increase(), so an
// alert on a rare event (one preStop timeout, one check timeout) would never fire.
import t from 'tap'
import { configFrom, startAgent } from '../helpers/agent'
import { FakeBrokerClient } from '../helpers/fakes'
import { FakeConnectClient } from '../helpers/fake-connect-client'

/** `name{labels} value` lines of a /metrics body, as a map from series to value. */
function series (text: string): Map<string, number> {
  const out = new Map<string, number>()
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line)
    if (m !== null) out.set(m[1]!, Number(m[2]))
  }
  return out
}

async function freshAgent (t: tap.Test, argv: string[]): Promise<{ metrics: () => Promise<Map<string, number>>, run: () => Promise<void>, broker: FakeBrokerClient, checks: readonly string[] }> {
  const broker = new FakeBrokerClient()
  const a = await startAgent(configFrom(['--interval', '1m', '--timeout', '50ms', ...argv]), { brokerClient: broker, connectClient: new FakeConnectClient() }, { start: false })
  t.teardown(a.close)
  return {
    metrics: async () => series((await a.app.inject({ url: '/metrics' })).body),
    run: async () => { await a.agent.runner.runCycle() },
    broker,
    checks: a.agent.runner.names,
  }
}

t.test('broker agent: every check, result and failure reason at 0 before the first run', async (t) => {
  const agent = await freshAgent(t, ['--kafka-brokers', 'kafka-1:9092', '--kafka-broker-id', '1'])
  const m = await agent.metrics()
  t.same([...agent.checks].sort(), ['advertised', 'in-sync', 'reachable', 'registered'])
  for (const check of agent.checks) {
    for (const result of ['success', 'failure']) t.equal(m.get(`kafka_healthz_check_runs_total{check="${check}",result="${result}"}`), 0, `${check} ${result}`)
    for (const reason of ['TIMEOUT', 'CHECK_ERROR', 'KAFKA_UNREACHABLE', 'KAFKA_AUTH', 'BROKER_NOT_IN_SYNC']) {
      t.equal(m.get(`kafka_healthz_check_failures_total{check="${check}",reason="${reason}"}`), 0, `${check} ${reason}`)
    }
    t.equal(m.get(`kafka_healthz_check_duration_seconds_count{check="${check}"}`), 0, `${check} duration`)
    t.notOk(m.has(`kafka_healthz_check_failures_total{check="${check}",reason="CONNECTOR_FAILED"}`), `${check}: no Connect reasons on a broker check`)
    t.notOk(m.has(`kafka_healthz_check_failures_total{check="${check}",reason="OK"}`), 'OK is no failure')
    t.notOk(m.has(`kafka_healthz_check_failures_total{check="${check}",reason="STALE"}`), 'STALE describes a verdict, never a run')
  }
  for (const outcome of ['safe', 'timeout', 'aborted', 'not_applicable']) t.equal(m.get(`kafka_healthz_prestop_waits_total{outcome="${outcome}"}`), 0, `prestop ${outcome}`)
  for (const endpoint of ['/livez', '/readyz', '/startupz', '/ping', '/prestop']) {
    for (const code of ['200', '503']) t.equal(m.get(`kafka_healthz_probe_requests_total{endpoint="${endpoint}",code="${code}"}`), 0, `${endpoint} ${code}`)
  }

  // The first event counts on the series that was there, not on a new one.
  agent.broker.hang = true
  await agent.run()
  const after = await agent.metrics()
  t.equal(after.get('kafka_healthz_check_failures_total{check="reachable",reason="TIMEOUT"}'), 1)
  t.equal(after.get('kafka_healthz_check_runs_total{check="reachable",result="failure"}'), 1)
  t.equal(after.get('kafka_healthz_check_runs_total{check="reachable",result="success"}'), 0)
  t.equal([...after.keys()].filter((k) => k.startsWith('kafka_healthz_check_failures_total{check="reachable"')).length,
    [...m.keys()].filter((k) => k.startsWith('kafka_healthz_check_failures_total{check="reachable"')).length, 'no new series')
})

t.test('Connect agent: checks, Connect reasons, REST endpoints and error reasons at 0', async (t) => {
  const agent = await freshAgent(t, ['--connect-url', 'http://127.0.0.1:8083'])
  const m = await agent.metrics()
  t.same([...agent.checks].sort(), ['connect-ready', 'connect-worker', 'connectors'])
  for (const check of agent.checks) {
    for (const reason of ['TIMEOUT', 'CONNECT_UNREACHABLE', 'AUTH', 'CONNECTOR_FAILED', 'NO_CONNECTORS']) {
      t.equal(m.get(`kafka_healthz_check_failures_total{check="${check}",reason="${reason}"}`), 0, `${check} ${reason}`)
    }
    t.notOk(m.has(`kafka_healthz_check_failures_total{check="${check}",reason="KAFKA_UNREACHABLE"}`), `${check}: no broker reasons on a Connect check`)
  }
  for (const endpoint of ['health', 'root', 'connectors', 'connector_status', 'connector_info', 'connector_restart']) {
    t.equal(m.get(`kafka_healthz_connect_request_duration_seconds_count{endpoint="${endpoint}"}`), 0, `${endpoint} duration`)
    for (const reason of ['CONNECT_UNREACHABLE', 'CONNECT_TLS', 'TIMEOUT', 'AUTH', 'CONNECT_HTTP_ERROR', 'CONNECT_REDIRECT', 'CONNECT_BAD_RESPONSE', 'CONNECT_BODY_TOO_LARGE']) {
      t.equal(m.get(`kafka_healthz_connect_request_errors_total{endpoint="${endpoint}",reason="${reason}"}`), 0, `${endpoint} ${reason}`)
    }
  }
  t.notOk([...m.keys()].some((k) => k.startsWith('kafka_healthz_prestop_waits_total')), 'no /prestop counter without the broker checks')
})
