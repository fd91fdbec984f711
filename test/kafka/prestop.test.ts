// GET /prestop against the agent with FakeBrokerClient: waits while stopping is unsafe (failing
// /readyz), answers when the ISR recovers, answers anyway with the reason when the bound expires.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { configFrom, startAgent, waitForBody, waitForStatus, type TestAgent } from '../helpers/agent'
import { FakeBrokerClient, partition } from '../helpers/fakes'

// The runner's timers are unref'd (a server holds the process, not them) and inject() opens no
// socket: without this, a test awaiting a /prestop wait would see the event loop drain.
const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => { clearInterval(keepAlive) })

async function agentWith (client: FakeBrokerClient, extra: string[] = []): Promise<TestAgent> {
  const config = configFrom(['--kafka-brokers', 'kafka-2:9092', '--kafka-broker-id', '2', '--interval', '50ms', '--timeout', '40ms', '--prestop-timeout', '3s', ...extra])
  const a = await startAgent(config, { brokerClient: client })
  t.teardown(a.close)
  await waitForBody(a.app, '/readyz?verbose', '[+]in-sync ok', 2000)
  return a
}

t.test('safe: answers at once', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('orders', 0, [1, 2, 3])]
  const { app, logs } = await agentWith(client)
  const started = Date.now()
  const res = await app.inject({ url: '/prestop' })
  t.equal(res.statusCode, 200)
  t.match(res.body, /^safe to stop broker 2: no partition it is in the ISR of is at min.insync.replicas with a replica still to catch up \(waited 0\.\ds\)\n$/)
  t.ok(Date.now() - started < 1000)
  t.match(logs.text, 'preStop: safe to stop broker 2')
  t.match((await app.inject({ url: '/metrics' })).body, 'kafka_healthz_prestop_waits_total{outcome="safe"} 1')
})

t.test('unsafe: waits with /readyz failing, answers once the ISR has a member to spare', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('orders', 0, [1, 2, 3], [2, 3]), partition('orders', 1, [1, 2, 3])]
  const { app, logs } = await agentWith(client)
  const pending = app.inject({ url: '/prestop' })
  await waitForBody(app, '/readyz', 'prestop failed: SHUTTING_DOWN: preStop: waiting until stopping this node takes no partition below min.insync.replicas', 2000)
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503, 'clients move away while it waits')
  t.match(logs.text, 'preStop: waiting before the broker stops: stopping broker 2 would leave 1 partition below min.insync.replicas: orders-0 (ISR 2,3; min 2)')
  await sleep(200)
  let settled = false
  void pending.then(() => { settled = true })
  await sleep(0)
  t.notOk(settled, 'still waiting')

  client.partitions[0] = partition('orders', 0, [1, 2, 3], [2, 3, 1])
  const res = await pending
  t.equal(res.statusCode, 200)
  t.match(res.body, 'safe to stop broker 2')
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200, 'the wait is over: readiness is the checks\' again')
})

t.test('the bound expires: answers 503 with the reason', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('orders', 0, [1, 2, 3], [2, 1])]
  client.minIsr = new Map([['orders', 2]])
  const { app, logs } = await agentWith(client, ['--prestop-timeout', '300ms'])
  const res = await app.inject({ url: '/prestop' })
  t.equal(res.statusCode, 503)
  t.match(res.body, /^gave up after 0\.\ds \(--prestop-timeout 300ms\): stopping broker 2 would leave 1 partition below min.insync.replicas: orders-0 \(ISR 2,1; min 2\)\n$/)
  t.match(logs.text, '"level":"warn"')
  const metrics = (await app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_prestop_waits_total{outcome="timeout"} 1')
  t.match(metrics, 'kafka_healthz_prestop_wait_seconds_count 1')
})

t.test('no view (broker unreachable): waits, then says why', async (t) => {
  const client = new FakeBrokerClient()
  const { app } = await agentWith(client, ['--prestop-timeout', '200ms'])
  client.error = { kind: 'unreachable', message: 'connect ECONNREFUSED' }
  await waitForBody(app, '/readyz?verbose', '[-]in-sync failed', 2000)
  const res = await app.inject({ url: '/prestop' })
  t.equal(res.statusCode, 503)
  t.match(res.body, 'no cluster view: KAFKA_UNREACHABLE: broker kafka-2:9092: connect ECONNREFUSED')
})

t.test('a topic left out does not hold the stop', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('scratch', 0, [1, 2, 3], [2, 1])]
  const { app } = await agentWith(client, ['--in-sync-exclude-topics', 'scratch'])
  t.equal((await app.inject({ url: '/prestop' })).statusCode, 200)
})

t.test('without a broker id: nothing to wait for', async (t) => {
  const config = configFrom(['--kafka-brokers', 'kafka-2:9092'])
  const a = await startAgent(config, { brokerClient: new FakeBrokerClient() }, { start: false })
  t.teardown(a.close)
  const res = await a.app.inject({ url: '/prestop' })
  t.equal(res.statusCode, 200)
  t.match(res.body, 'nothing to wait for: the in-sync check is off')
  t.notMatch((await a.app.inject({ url: '/readyz?verbose' })).body, 'in-sync')
  t.match(a.logs.text, 'in-sync check off: it needs --kafka-broker-id')
})

t.test('closing the app ends a wait', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('orders', 0, [1, 2, 3], [2, 1])]
  const { app } = await agentWith(client, ['--prestop-timeout', '1m'])
  const pending = app.inject({ url: '/prestop' })
  await waitForBody(app, '/readyz', 'prestop failed', 2000)
  const started = Date.now()
  await app.close()
  const res = await pending
  t.equal(res.statusCode, 503)
  t.match(res.body, /^gave up after \d+\.\ds \(the agent is shutting down\)/)
  t.ok(Date.now() - started < 2000, 'did not wait out the minute')
})

t.test('the cluster view shows as metrics', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('a', 0, [2, 1], [2]), partition('a', 1, [1, 2], [], -1)]
  const { app } = await agentWith(client, ['--in-sync-exclude-topics', 'a'])
  const m = (await app.inject({ url: '/metrics' })).body
  t.match(m, 'kafka_healthz_kafka_partitions{broker="2"} 2')
  t.match(m, 'kafka_healthz_kafka_under_replicated_partitions{broker="2"} 2')
  t.match(m, 'kafka_healthz_kafka_offline_partitions{broker="2"} 1')
  t.match(m, 'kafka_healthz_kafka_under_min_isr_partitions{broker="2"} 2')
  t.match(m, 'kafka_healthz_kafka_leader_partitions{broker="2"} 1')
  t.match(m, 'kafka_healthz_kafka_out_of_sync_partitions{broker="2"} 1')
  client.error = { kind: 'unreachable', message: 'down' }
  await waitForBody(app, '/readyz?verbose', '[-]in-sync failed', 2000)
  t.notMatch((await app.inject({ url: '/metrics' })).body, 'kafka_healthz_kafka_partitions{', 'no stale numbers without a view')
})

t.test('nothing to wait for (replication factor = min ISR): answers at once, saying so', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('rf2', 0, [1, 2], [2, 1])]
  const { app } = await agentWith(client)
  const res = await app.inject({ url: '/prestop' })
  t.equal(res.statusCode, 200)
  t.match(res.body, '; 1 partition has no replica to spare and none to wait for (replication factor = min.insync.replicas), so stopping takes it below the minimum anyway: rf2-0')
})

t.test('HEAD does not start a wait', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('orders', 0, [1, 2, 3], [2, 1])]
  const { app } = await agentWith(client)
  const res = await app.inject({ method: 'HEAD', url: '/prestop' })
  t.equal(res.statusCode, 405)
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200)
})

t.test('readiness: out of the ISR of one partition → 503 naming it; back in → 200', async (t) => {
  const client = new FakeBrokerClient()
  client.partitions = [partition('orders', 0, [1, 2, 3]), partition('orders', 1, [2, 3, 1])]
  const { app } = await agentWith(client, ['--failure-threshold', '1'])
  client.partitions[1] = partition('orders', 1, [2, 3, 1], [3, 1])
  await waitForBody(app, '/readyz', '[-]in-sync failed: BROKER_NOT_IN_SYNC: broker 2 is out of the ISR of 1 of 2 partitions it replicates: orders-1', 2000)
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503)
  t.equal((await app.inject({ url: '/livez' })).statusCode, 200, 'catching up is never a liveness failure')
  client.partitions[1] = partition('orders', 1, [2, 3, 1], [3, 1, 2])
  await waitForStatus(app, '/readyz', 200, 2000)
  t.equal((await app.inject({ url: '/readyz' })).body, 'ok\n')
})

t.test('without a broker id: nothing to wait for, answered at once and counted as not_applicable', async (t) => {
  const config = configFrom(['--kafka-brokers', 'kafka-2:9092', '--interval', '50ms', '--timeout', '40ms'])
  const a = await startAgent(config, { brokerClient: new FakeBrokerClient() })
  t.teardown(a.close)
  const res = await a.app.inject({ url: '/prestop' })
  t.equal(res.statusCode, 200)
  t.equal(res.body, 'nothing to wait for: the in-sync check is off (it needs --kafka-broker-id)\n')
  const metrics = (await a.app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_prestop_waits_total{outcome="not_applicable"} 1')
  t.match(metrics, 'kafka_healthz_prestop_waits_total{outcome="timeout"} 0')
})

t.test('with a token set, /prestop refuses a caller without it before any wait (issue 17)', async (t) => {
  const client = new FakeBrokerClient()
  // Unsafe to stop: a caller that got through would make the broker unready while it waits.
  client.partitions = [partition('orders', 0, [1, 2, 3], [2, 3])]
  const files: Record<string, string> = { '/run/token': 'first-token\n' }
  const config = configFrom(['--kafka-brokers', 'kafka-2:9092', '--kafka-broker-id', '2', '--interval', '50ms', '--timeout', '40ms', '--prestop-timeout', '3s',
    '--prestop-token-file', '/run/token'], {}, { readFile: (p) => { const f = files[p]; if (f === undefined) throw Object.assign(new Error('no file'), { code: 'ENOENT' }); return f } })
  const a = await startAgent(config, { brokerClient: client })
  t.teardown(a.close)
  await waitForBody(a.app, '/readyz?verbose', '[+]in-sync ok', 2000)

  for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'first-token' }, { authorization: 'Bearer first-token-and-more' }]) {
    const res = await a.app.inject({ url: '/prestop', headers })
    t.equal(res.statusCode, 401, JSON.stringify(headers))
    t.equal(res.headers['www-authenticate'], 'Bearer')
    t.equal((await a.app.inject({ url: '/readyz' })).statusCode, 200, 'no wait started: still ready')
  }
  t.notMatch(a.logs.text, 'first-token', 'the token is never logged')

  // The right token starts the wait as before; rotated, the new one is needed at once.
  const pending = a.app.inject({ url: '/prestop', headers: { authorization: 'Bearer first-token' } })
  await waitForStatus(a.app, '/readyz', 503, 2000)
  client.partitions = [partition('orders', 0, [1, 2, 3])]
  t.equal((await pending).statusCode, 200)
  files['/run/token'] = 'second-token'
  t.equal((await a.app.inject({ url: '/prestop', headers: { authorization: 'Bearer first-token' } })).statusCode, 401, 'the old token stops working')
  t.equal((await a.app.inject({ url: '/prestop', headers: { authorization: 'Bearer second-token' } })).statusCode, 200)
  delete files['/run/token']
  t.equal((await a.app.inject({ url: '/prestop', headers: { authorization: 'Bearer second-token' } })).statusCode, 200, 'a file gone mid-rotation: the last good token stands')
})

t.test('a token file that is missing or empty at start is a config error; never both sources', async (t) => {
  const base = ['--kafka-brokers', 'kafka-2:9092', '--prestop-token-file', '/run/token']
  t.throws(() => configFrom(base, {}, { readFile: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }) } }), { message: '--prestop-token-file: got "/run/token", expected a readable file (ENOENT)' })
  t.throws(() => configFrom(base, {}, { readFile: () => '\n' }), { message: '--prestop-token-file: the file is empty, expected a token' })
  t.throws(() => configFrom(base, { HEALTHZ_PRESTOP_TOKEN: 'x' }, { readFile: () => 'y' }), { message: '--prestop-token-file: got a file and HEALTHZ_PRESTOP_TOKEN too, expected only one of them' })
})
