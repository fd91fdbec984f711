// The controller target in the agent, against FakeQuorum: probes, reasons, leader following,
// /prestop, metrics and the broker-side quorum view.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { configFrom, startAgent, waitForBody, waitForStatus, type TestAgent } from '../helpers/agent'
import { FakeQuorum } from '../helpers/fake-quorum-client'
import { FakeBrokerClient } from '../helpers/fakes'

const keepAlive = setInterval(() => {}, 1000)
t.teardown(() => { clearInterval(keepAlive) })

async function agentFor (quorum: FakeQuorum, id = 2, extra: string[] = []): Promise<TestAgent> {
  const config = configFrom(['--kafka-controller', `controller-${id}:${FakeQuorum.port(id)}`, '--kafka-controller-id', String(id), '--interval', '50ms', '--timeout', '40ms', '--prestop-timeout', '3s', ...extra])
  const a = await startAgent(config, { quorumClientFor: quorum.clientFor })
  t.teardown(a.close)
  return a
}

t.test('a caught-up follower is live, ready and started; it asks the leader the leader names', async (t) => {
  const q = new FakeQuorum()
  const { app } = await agentFor(q)
  await waitForBody(app, '/readyz?verbose', '[+]quorum ok', 2000)
  for (const url of ['/livez', '/readyz', '/startupz']) t.equal((await app.inject({ url })).statusCode, 200, url)
  const status = JSON.parse((await app.inject({ url: '/status' })).body) as { checks: Record<string, { message: string }> }
  t.equal(status.checks.quorum?.message, 'controller 2 is a caught-up voter (leader 1, epoch 3; 3 of 3 voters caught up)')
  t.equal(status.checks['controller-reachable']?.message, 'controller controller-2:9092 answers the Kafka protocol'.replace('9092', String(FakeQuorum.port(2))))
  t.ok(q.calls.some((c) => c.port === FakeQuorum.port(1) && c.call === 'describeQuorum'), 'DescribeQuorum went to the leader')
  t.notOk(q.calls.some((c) => c.port === FakeQuorum.port(2) && c.call === 'describeQuorum'), 'never to the local follower')
  const metrics = (await app.inject({ url: '/metrics' })).body
  for (const line of ['kafka_healthz_quorum_leader_id{role="controller",node="2"} 1', 'kafka_healthz_quorum_leader_epoch{role="controller",node="2"} 3',
    'kafka_healthz_quorum_high_watermark{role="controller",node="2"} 100', 'kafka_healthz_quorum_voters{role="controller",node="2"} 3',
    'kafka_healthz_quorum_caught_up_voters{role="controller",node="2"} 3', 'kafka_healthz_quorum_lag_records{role="controller",node="2"} 0',
    'kafka_healthz_quorum_lag_seconds{role="controller",node="2"} 0']) t.match(metrics, line)
})

t.test('the leader asks itself; a new leader is followed, the old leader\'s client closed', async (t) => {
  const q = new FakeQuorum()
  const { app } = await agentFor(q, 1)
  await waitForBody(app, '/status', 'the leader; leader 1', 2000)
  q.leaderId = 3
  q.epoch = 4
  await waitForBody(app, '/status', 'controller 1 is a caught-up voter (leader 3, epoch 4', 2000)
  q.leaderId = 2
  await waitForBody(app, '/status', '(leader 2, epoch 4', 2000)
  t.ok(q.closed.includes(FakeQuorum.port(3)), 'the client for the old leader was closed')
})

t.test('every reason of the quorum check', async (t) => {
  const q = new FakeQuorum()
  const { app } = await agentFor(q)
  await waitForStatus(app, '/readyz', 200, 2000)
  q.behindMs.set(2, 2500)
  await waitForBody(app, '/readyz?verbose', '[-]quorum failed: CONTROLLER_NOT_CAUGHT_UP: controller 2 was last caught up 2.5s ago, 25 records behind', 2000)
  t.equal((await app.inject({ url: '/livez' })).statusCode, 200, 'liveness does not hang off the quorum')
  q.behindMs.clear()
  q.voters = [1, 3, 4]
  q.observers = [2]
  await waitForBody(app, '/readyz?verbose', 'NOT_A_VOTER: controller 2 is an observer of the quorum, not a voter (voters: 1,3,4)', 2000)
  q.voters = [1, 2, 3]
  q.observers = []
  q.leaderId = -1
  await waitForBody(app, '/readyz?verbose', 'NO_QUORUM_LEADER: controller controller-2:9092 knows no quorum leader', 2000)
  q.leaderId = 1
  q.faults.set(FakeQuorum.port(1), { kind: 'unreachable', message: 'connect ECONNREFUSED' })
  await waitForBody(app, '/readyz?verbose', 'QUORUM_LEADER_UNREACHABLE: leader 1 (named by controller controller-2:9092) did not describe the quorum (unreachable): connect ECONNREFUSED', 2000)
  q.faults.set(FakeQuorum.port(1), { kind: 'auth', message: 'SASL refused' })
  await waitForBody(app, '/readyz?verbose', 'CONTROLLER_AUTH: controller controller-1:9091: SASL refused', 2000)
  q.faults.clear()
  q.faults.set(FakeQuorum.port(2), 'hang')
  await waitForBody(app, '/livez?verbose', '[-]controller-reachable failed: TIMEOUT', 2000)
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503)
  q.faults.clear()
  await waitForStatus(app, '/readyz', 200, 2000)
})

t.test('the local controller: unreachable fails liveness; a TLS refusal or our own client error does not', async (t) => {
  const q = new FakeQuorum()
  const { app } = await agentFor(q)
  const port = FakeQuorum.port(2)
  q.faults.set(port, { kind: 'unreachable', message: 'connect ECONNREFUSED' })
  await waitForBody(app, '/livez?verbose', '[-]controller-reachable failed: CONTROLLER_UNREACHABLE: controller controller-2:9092: connect ECONNREFUSED', 2000)
  q.faults.set(port, { kind: 'tls', message: 'certificate has expired' })
  await waitForStatus(app, '/livez', 200, 2000)
  await waitForBody(app, '/readyz?verbose', 'CONTROLLER_TLS: controller controller-2:9092: certificate has expired', 2000)
  q.faults.set(port, { kind: 'client', message: 'bad argument' })
  await waitForBody(app, '/readyz?verbose', 'CONTROLLER_CLIENT_ERROR: controller controller-2:9092: bad argument', 2000)
  t.equal((await app.inject({ url: '/livez' })).statusCode, 200, 'a local mistake never restarts the controller')
  t.match(JSON.parse((await app.inject({ url: '/status' })).body).checks['controller-reachable'].message, /^controller state unknown: CONTROLLER_CLIENT_ERROR/)
  q.faults.set(port, { kind: 'protocol', message: 'DescribeCluster: UNSUPPORTED_VERSION' })
  await waitForBody(app, '/readyz?verbose', 'CONTROLLER_PROTOCOL_ERROR', 2000)
})

t.test('/prestop waits for a caught-up majority without this node, then answers; readiness fails meanwhile', async (t) => {
  const q = new FakeQuorum()
  q.behindMs.set(3, 5000)
  const { app, logs } = await agentFor(q)
  await waitForBody(app, '/status', '2 of 3 voters caught up', 2000)
  const pending = app.inject({ url: '/prestop' })
  await waitForStatus(app, '/readyz', 503, 2000)
  // It waits for one run newer than the call, then logs why it goes on waiting.
  for (let i = 0; i < 100 && !logs.text.includes('preStop: waiting'); i++) await sleep(20)
  t.match(logs.text, 'preStop: waiting before the controller stops: without controller 2, only 1 of 3 voters are caught up (1; not caught up: 3); a majority is 2')
  let settled = false
  void pending.then(() => { settled = true })
  await sleep(200)
  t.notOk(settled, 'still waiting')
  q.behindMs.delete(3)
  const res = await pending
  t.equal(res.statusCode, 200)
  t.match(res.body, /^safe to stop controller 2: without controller 2, 2 of 3 voters are caught up \(1,3\); a majority is 2 \(waited \d+\.\ds\)\n$/)
  t.match((await app.inject({ url: '/metrics' })).body, 'kafka_healthz_controller_prestop_waits_total{outcome="safe"} 1')
  await waitForStatus(app, '/readyz', 200, 2000)
})

t.test('/prestop gives up at --prestop-timeout with the reason; without a view it says why', async (t) => {
  const q = new FakeQuorum()
  q.faults.set(FakeQuorum.port(2), { kind: 'unreachable', message: 'connect ECONNREFUSED' })
  const { app } = await agentFor(q, 2, ['--prestop-timeout', '300ms'])
  await waitForBody(app, '/readyz?verbose', 'CONTROLLER_UNREACHABLE', 2000)
  const res = await app.inject({ url: '/prestop' })
  t.equal(res.statusCode, 503)
  t.match(res.body, /^gave up after 0\.\ds \(--prestop-timeout 300ms\): no quorum view: CONTROLLER_UNREACHABLE: controller controller-2:9092: connect ECONNREFUSED\n$/)
  t.match((await app.inject({ url: '/metrics' })).body, 'kafka_healthz_controller_prestop_waits_total{outcome="timeout"} 1')
})

t.test('/prestop: the token, and a peer\'s string cannot forge a line', async (t) => {
  const q = new FakeQuorum()
  q.faults.set(FakeQuorum.port(2), { kind: 'unreachable', message: 'refused\n[+]all good' })
  const { app } = await agentFor(q, 2, ['--prestop-timeout', '100ms'])
  await waitForBody(app, '/readyz?verbose', 'CONTROLLER_UNREACHABLE', 2000)
  const res = await app.inject({ url: '/prestop' })
  t.equal(res.body.split('\n').length, 2, 'one line')
  t.match(res.body, 'refused\\n[+]all good')
  const config = configFrom(['--kafka-controller', 'controller-2:9092', '--kafka-controller-id', '2', '--interval', '50ms', '--timeout', '40ms'], { HEALTHZ_PRESTOP_TOKEN: 's3cret' })
  const b = await startAgent(config, { quorumClientFor: new FakeQuorum().clientFor })
  t.teardown(b.close)
  t.equal((await b.app.inject({ url: '/prestop' })).statusCode, 401)
  await waitForBody(b.app, '/status', 'caught-up voter', 2000)
  t.equal((await b.app.inject({ url: '/prestop', headers: { authorization: 'Bearer s3cret' } })).statusCode, 200)
})

t.test('/prestop judges only a quorum view newer than the call: a voter that fell behind a moment ago is seen', async (t) => {
  const q = new FakeQuorum()
  // A long interval, so the view /prestop could take is old when it is called.
  const { app } = await agentFor(q, 2, ['--interval', '600ms', '--timeout', '100ms'])
  await waitForBody(app, '/status', '3 of 3 voters caught up', 3000)
  q.behindMs.set(3, 5000) // voter 3 dies between two runs
  const pending = app.inject({ url: '/prestop' })
  let settled = false
  void pending.then(() => { settled = true })
  await sleep(900)
  t.notOk(settled, 'the last view said 3 of 3 caught up, but /prestop waited for one taken after the call, which shows 3 behind')
  q.behindMs.delete(3)
  t.equal((await pending).statusCode, 200)
})

t.test('a combined node: the broker\'s /prestop waits for the quorum rule too (one preStop hook); /controller/prestop answers for it alone', async (t) => {
  const q = new FakeQuorum()
  q.behindMs.set(3, 5000)
  const config = configFrom(['--kafka-brokers', 'kafka-2:9092', '--kafka-controller', 'controller-2:9092', '--kafka-controller-id', '2', '--in-sync=false', '--interval', '50ms', '--timeout', '40ms', '--prestop-timeout', '3s'])
  const a = await startAgent(config, { quorumClientFor: q.clientFor, brokerClient: new FakeBrokerClient() })
  t.teardown(a.close)
  await waitForBody(a.app, '/status', '2 of 3 voters caught up', 2000)
  const pending = a.app.inject({ url: '/prestop' })
  let settled = false
  void pending.then(() => { settled = true })
  await sleep(300)
  t.notOk(settled, 'stopping this node would leave 1 of 3 voters caught up: the broker\'s /prestop waits')
  q.behindMs.delete(3)
  const res = await pending
  t.equal(res.statusCode, 200)
  t.match(res.body, /^safe to stop this node \(no partitions judged: the in-sync check is off\) \(waited \d+\.\ds\); safe to stop controller 2: without controller 2, 2 of 3 voters are caught up/)
  t.match((await a.app.inject({ url: '/controller/prestop' })).body, 'safe to stop controller 2')
})

t.test('--quorum-metrics on a broker: the quorum as metrics only, never in a probe', async (t) => {
  const q = new FakeQuorum()
  q.observers = [4]
  q.behindMs.set(4, 1500)
  const config = configFrom(['--kafka-brokers', 'kafka-4:9092', '--kafka-broker-id', '4', '--quorum-metrics', '--in-sync=false', '--advertised-check', 'off', '--interval', '50ms', '--timeout', '40ms'])
  const brokers = new FakeBrokerClient()
  brokers.brokers = [4, 5, 6]
  const a = await startAgent(config, { quorumClientFor: q.clientFor, brokerClient: brokers })
  t.teardown(a.close)
  await waitForBody(a.app, '/status', 'quorum leader 1, epoch 3; 3 of 3 voters caught up', 2000)
  const metrics = (await a.app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_quorum_leader_id{role="broker",node="4"} 1')
  t.match(metrics, 'kafka_healthz_quorum_lag_seconds{role="broker",node="4"} 1.5')
  t.match(metrics, 'kafka_healthz_quorum_lag_records{role="broker",node="4"} 15')
  q.faults.set(9092, { kind: 'unreachable', message: 'refused' })
  await waitForBody(a.app, '/status', 'broker kafka-4:9092 did not describe the quorum: refused', 2000)
  t.notMatch((await a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_quorum_leader_id{', 'a failed answer removes the series')
  t.equal((await a.app.inject({ url: '/readyz' })).statusCode, 200, 'the broker\'s readiness does not ask the quorum')
  t.notMatch((await a.app.inject({ url: '/readyz?verbose' })).body, 'quorum')
})

t.test('our own client failing is CONTROLLER_CLIENT_ERROR, never the leader being down (local mistake, not the peer)', async (t) => {
  const q = new FakeQuorum()
  const { app } = await agentFor(q)
  await waitForStatus(app, '/readyz', 200, 2000)
  q.faults.set(FakeQuorum.port(1), 'bug')
  await waitForBody(app, '/readyz?verbose', '[-]quorum failed: CONTROLLER_CLIENT_ERROR: controller controller-1:9091: Cannot read properties of undefined', 2000)
  q.faults.set(FakeQuorum.port(2), 'bug')
  await waitForBody(app, '/readyz?verbose', '[-]quorum failed: CONTROLLER_CLIENT_ERROR: controller controller-2:9092: Cannot read', 2000)
  t.equal((await app.inject({ url: '/livez' })).statusCode, 200, 'liveness stays up')
  t.match(JSON.parse((await app.inject({ url: '/status' })).body).checks['controller-reachable'].message, /^controller state unknown: CONTROLLER_CLIENT_ERROR/)
})

t.test('a leader without an endpoint in the answer is named', async (t) => {
  const q = new FakeQuorum()
  q.voters = [2, 3]
  q.leaderId = 1
  const { app } = await agentFor(q)
  await waitForBody(app, '/readyz?verbose', 'QUORUM_LEADER_UNREACHABLE: leader 1 has no endpoint in controller controller-2:9092\'s DescribeCluster answer', 2000)
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 503)
})

t.test('--quorum-metrics maps the broker\'s refusals to bounded reasons', async (t) => {
  const q = new FakeQuorum()
  const config = configFrom(['--kafka-brokers', 'kafka-1:9092', '--quorum-metrics', '--in-sync=false', '--advertised-check', 'off', '--interval', '50ms', '--timeout', '40ms'])
  const a = await startAgent(config, { quorumClientFor: q.clientFor, brokerClient: new FakeBrokerClient() })
  t.teardown(a.close)
  const view = async (): Promise<{ reason: string, message: string }> => JSON.parse((await a.app.inject({ url: '/status' })).body).checks['quorum-view'].lastRun
  for (const [fault, reason] of [[{ kind: 'auth', message: 'refused' }, 'CONTROLLER_AUTH'], [{ kind: 'tls', message: 'expired' }, 'CONTROLLER_TLS'], ['bug', 'CONTROLLER_CLIENT_ERROR']] as const) {
    q.faults.set(9092, fault)
    await waitForBody(a.app, '/status', `"reason":"${reason}"`, 2000)
    t.equal((await view()).reason, reason)
  }
  q.faults.clear()
  q.leaderId = -1
  await waitForBody(a.app, '/status', 'the quorum has no leader (epoch 3)', 2000)
  t.match((await a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_quorum_leader_id{role="broker",node=""} -1', 'no broker id: the node label is empty')
})

t.test('rotated secret files: the controller clients are rebuilt with the new material, the leader\'s too', async (t) => {
  const q = new FakeQuorum()
  let password = 'first\n'
  const config = configFrom(['--kafka-controller', `controller-2:${FakeQuorum.port(2)}`, '--kafka-controller-id', '2', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'healthz', '--kafka-sasl-password-file', '/pw', '--interval', '50ms', '--timeout', '40ms'],
    {}, { readFile: () => password })
  const a = await startAgent(config, { quorumClientFor: q.clientFor })
  t.teardown(a.close)
  await waitForBody(a.app, '/status', 'caught-up voter', 2000)
  const passwords = (): string[] => q.built.map((b) => b.sasl !== undefined && 'password' in b.sasl ? b.sasl.password : '')
  t.same([...new Set(passwords())], ['first'])
  password = 'second\n'
  const rebuilt = (port: number): boolean => q.built.some((b, i) => b.port === port && passwords()[i] === 'second')
  for (let i = 0; i < 40 && !(rebuilt(FakeQuorum.port(2)) && rebuilt(FakeQuorum.port(1))); i++) await sleep(50)
  t.ok(rebuilt(FakeQuorum.port(2)), 'the local client has the new password')
  t.ok(rebuilt(FakeQuorum.port(1)), 'the leader\'s client too')
  password = ''
  await waitForBody(a.app, '/status', 'FILE_RELOAD_FAILED', 2000)
})

t.test('--quorum-metrics: rotated secret files rebuild the broker-side quorum client too', async (t) => {
  const q = new FakeQuorum()
  let password = 'first\n'
  const config = configFrom(['--kafka-brokers', 'kafka-1:9092', '--kafka-broker-id', '1', '--quorum-metrics', '--in-sync=false', '--advertised-check', 'off',
    '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'healthz', '--kafka-sasl-password-file', '/pw', '--interval', '50ms', '--timeout', '40ms'],
  {}, { readFile: () => password })
  const a = await startAgent(config, { quorumClientFor: q.clientFor, brokerClient: new FakeBrokerClient() })
  t.teardown(a.close)
  const viaBroker = (pw: string): boolean => q.built.some((b) => b.port === 9092 && b.sasl !== undefined && 'password' in b.sasl && b.sasl.password === pw)
  t.ok(viaBroker('first'), 'built with the first password')
  password = 'second\n'
  for (let i = 0; i < 40 && !viaBroker('second'); i++) await sleep(50)
  t.ok(viaBroker('second'), 'rebuilt with the new password')
  for (let i = 0; i < 40 && !q.closed.includes(9092); i++) await sleep(50)
  t.ok(q.closed.includes(9092), 'the old client is closed once its grace is over')
  await waitForBody(a.app, '/status', '"quorum-view-files"', 2000)
})
