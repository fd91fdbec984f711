// The sink-progress check through the agent, against fakes at both seams (the Connect client and
// the offsets client): what /connectors/<name>, /readyz, /status and /metrics say, by policy.
import t from 'tap'
import { configFrom, startAgent, type TestAgent } from '../helpers/agent'
import { FakeConnectClient } from '../helpers/fake-connect-client'
import { FakeOffsetsClient } from '../helpers/fake-offsets-client'
import { ConnectError } from '../../src/connect/client'
import type { Tap } from '../helpers/real-kafka'

const BASE = ['--connect-url', 'http://127.0.0.1:1', '--connect-kafka-bootstrap', 'kafka-0:9092,kafka-1:9092', '--connect-progress-window', '3', '--connect-progress-every', '1',
  '--interval', '1m', '--timeout', '300ms', '--failure-threshold', '1']

interface Setup { a: TestAgent, connect: FakeConnectClient, kafka: FakeOffsetsClient }

async function setup (t: Tap, extra: string[] = []): Promise<Setup> {
  const connect = new FakeConnectClient()
  connect.add('orders-sink')
  connect.sinks.set('orders-sink', { group: 'connect-orders-sink', topics: ['orders'] })
  const kafka = new FakeOffsetsClient().topic('orders', 2)
  const a = await startAgent(configFrom([...BASE, ...extra]), { connectClient: connect, offsetsClient: kafka }, { start: false })
  t.teardown(a.close)
  return { a, connect, kafka }
}

async function connector (a: TestAgent, name = 'orders-sink'): Promise<{ status: number, body: Record<string, unknown> }> {
  const res = await a.app.inject({ url: `/connectors/${name}` })
  return { status: res.statusCode, body: res.json() }
}

/** The group committed at offset 0 of both partitions, and one run to list the connector. */
async function committedAtZero (s: Setup): Promise<void> {
  s.kafka.commit('connect-orders-sink', 'orders', 0, 0)
  s.kafka.commit('connect-orders-sink', 'orders', 1, 0)
  await s.a.agent.runner.runCycle()
}

/** One run of every check, with production into orders and, if `consume`, the sink keeping up. */
async function step (s: Setup, consume: boolean): Promise<void> {
  s.kafka.produce('orders', 5, 0)
  s.kafka.produce('orders', 3, 1)
  if (consume) s.kafka.catchUp('connect-orders-sink', 'orders')
  await s.a.agent.runner.runCycle()
}

t.test('consuming → OK; RUNNING but stuck → STALLED within the window on /connectors/<name>, not /readyz (policy status); moving again → OK', async (t) => {
  const s = await setup(t)
  await s.a.agent.runner.runCycle() // the connectors check lists the connector; progress waits for it
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: true, message: /no connector list yet/ } } })
  for (let i = 0; i < 3; i++) await step(s, true)
  let c = await connector(s.a)
  t.equal(c.status, 200)
  t.match(c.body, { healthy: true, progress: { status: 'OK', lag: 0, group: 'connect-orders-sink', partitions: 2 } })

  // Stuck: production goes on, commits stop. Two stuck samples: the window still holds one at lag 0.
  await step(s, false)
  await step(s, false)
  c = await connector(s.a)
  t.equal(c.status, 200, 'lag reached 0 within the window: OK')
  t.match(c.body, { progress: { status: 'OK', lag: 16 } })
  await step(s, false)
  c = await connector(s.a)
  t.equal(c.status, 503, 'a full window that never moved: 503')
  t.match(c.body, { healthy: false, reason: 'CONNECTOR_STALLED', state: 'RUNNING', progress: { status: 'STALLED', lag: 24 } })
  t.equal((await s.a.app.inject({ url: '/readyz' })).statusCode, 200, 'policy status: readiness untouched')
  const verbose = await s.a.app.inject({ url: '/status' })
  t.match(verbose.json(), { checks: { 'sink-progress': { ok: false, reason: 'CONNECTOR_STALLED', message: /orders-sink STALLED: lag 24/ } } })
  const metrics = (await s.a.app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_connect_sink_lag_records{connector="orders-sink"} 24')
  t.match(metrics, 'kafka_healthz_connect_sink_progress{connector="orders-sink",status="STALLED"} 1')
  t.match(metrics, /kafka_healthz_connect_sink_lag_seconds\{connector="orders-sink"\} \d/)

  await step(s, true)
  c = await connector(s.a)
  t.equal(c.status, 200, 'moving again: 200 at once')
  t.match(c.body, { progress: { status: 'OK', lag: 0 } })
})

t.test('a window not yet full passes, marked FILLING', async (t) => {
  const s = await setup(t)
  await committedAtZero(s)
  await step(s, false)
  await step(s, false)
  const c = await connector(s.a)
  t.equal(c.status, 200)
  t.match(c.body, { progress: { status: 'FILLING', lag: 16 } })
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: true, message: '1 sink connector consuming (1 still filling the window)' } } })
  await step(s, false)
  t.equal((await connector(s.a)).status, 503, 'full: judged')
})

t.test('policy readiness: a stall fails /readyz too, and passes again once the sink moves', async (t) => {
  const s = await setup(t, ['--connect-progress', 'readiness'])
  await s.a.agent.runner.runCycle()
  await step(s, true)
  t.equal((await s.a.app.inject({ url: '/readyz' })).statusCode, 200)
  for (let i = 0; i < 3; i++) await step(s, false)
  const r = await s.a.app.inject({ url: '/readyz?verbose' })
  t.equal(r.statusCode, 503)
  t.match(r.body, '[-]sink-progress failed: CONNECTOR_STALLED')
  t.equal((await s.a.app.inject({ url: '/livez' })).statusCode, 200, 'never liveness')
  await step(s, true)
  t.equal((await s.a.app.inject({ url: '/readyz' })).statusCode, 200)
})

t.test('no member left in the group → CONNECTOR_NOT_CONSUMING (STOPPED)', async (t) => {
  const s = await setup(t, ['--connect-progress', 'readiness'])
  s.kafka.members.set('connect-orders-sink', 0)
  await s.a.agent.runner.runCycle()
  for (let i = 0; i < 3; i++) await step(s, false)
  t.match((await connector(s.a)).body, { healthy: true, reason: 'OK', progress: { status: 'NO_COMMIT' } }, 'nothing ever committed: not judged')
  s.kafka.commit('connect-orders-sink', 'orders', 0, 1)
  s.kafka.commit('connect-orders-sink', 'orders', 1, 1)
  for (let i = 0; i < 3; i++) await step(s, false)
  t.match((await connector(s.a)).body, { healthy: false, reason: 'CONNECTOR_NOT_CONSUMING', progress: { status: 'STOPPED', members: 0 } })
})

t.test('the group: consumer.override.group.id when set; source connectors and other workers\' are left out', async (t) => {
  const s = await setup(t)
  s.connect.sinks.set('orders-sink', { group: 'custom-group', topics: ['orders'] })
  s.connect.add('audit-source').type = 'source'
  await s.a.agent.runner.runCycle()
  await step(s, false)
  t.same(s.kafka.asked.groups, ['custom-group'])
  t.same(s.kafka.asked.topics, ['orders'])
  t.equal((await connector(s.a, 'audit-source')).status, 200)
  t.notOk('progress' in (await connector(s.a, 'audit-source')).body, 'a source connector has no progress')
})

t.test('topics: the config\'s `topics` only, even when the group committed to others', async (t) => {
  // A group keeps the commits of a topic it no longer reads while it is active: judging them
  // would read a stall of a topic the sink was told to leave.
  const s = await setup(t)
  s.kafka.topic('old-orders', 1, 50)
  s.kafka.commit('connect-orders-sink', 'old-orders', 0, 10)
  await s.a.agent.runner.runCycle()
  for (let i = 0; i < 4; i++) await step(s, true)
  t.same(s.kafka.asked.topics, ['orders'])
  t.match((await connector(s.a)).body, { healthy: true, progress: { partitions: 2, status: 'OK' } })
})

t.test('topics.regex: the committed topics the pattern matches in full', async (t) => {
  const s = await setup(t)
  s.connect.sinks.set('orders-sink', { group: 'connect-orders-sink', topics: [], topicsRegex: 'regex-.' })
  s.kafka.topic('regex-a', 1, 10)
  s.kafka.topic('regex-ab', 1, 10)
  s.kafka.topic('other', 1, 10)
  s.kafka.commit('connect-orders-sink', 'regex-a', 0, 10)
  s.kafka.commit('connect-orders-sink', 'regex-ab', 0, 3)
  s.kafka.commit('connect-orders-sink', 'other', 0, 3)
  await s.a.agent.runner.runCycle()
  await step(s, false)
  t.same(s.kafka.asked.groups, ['connect-orders-sink'])
  t.same(s.kafka.asked.topics, ['regex-a'], 'regex-ab and other do not match in full')
  s.connect.sinks.set('orders-sink', { group: 'connect-orders-sink', topics: [], topicsRegex: '(unclosed' })
  const before = s.kafka.calls.committed
  await step(s, false)
  t.equal(s.kafka.calls.committed, before, 'a pattern JavaScript cannot compile: left out, not every committed topic')
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: true, message: 'no RUNNING sink connector to judge (left out, topics.regex not readable here: orders-sink)' } } })
})

t.test('a sink whose config was never read is left out, not guessed; a config read that keeps failing is a failed sample', async (t) => {
  const s = await setup(t)
  s.connect.sinks.clear()
  s.kafka.topic('regex-a', 1, 10)
  s.kafka.commit('connect-orders-sink', 'regex-a', 0, 5)
  await s.a.agent.runner.runCycle()
  await step(s, false)
  t.equal(s.kafka.calls.committed, 0, 'nothing to sample')
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: true, message: 'no RUNNING sink connector to judge (1 RUNNING sink left out: config not read yet)' } } })
  // The configs cannot be read at all (a body over --connect-max-body-bytes, a 403): the check
  // must not read OK with every sink left out.
  s.connect.sinkError = new ConnectError('too-large', 'connectors: response body is larger than --connect-max-body-bytes')
  await step(s, false)
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: false, reason: 'CONNECT_BODY_TOO_LARGE', message: /^reading the sink connectors' configs failed: / } } })
  t.match((await s.a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_connect_sink_progress_sample_success 0')
  t.equal((await connector(s.a)).status, 200, '/connectors/<name> falls back to the state-based verdict')
  s.connect.sinkError = undefined
  s.connect.sinks.set('orders-sink', { group: 'connect-orders-sink', topics: ['orders'] })
  await step(s, false)
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: true } } }, 'back by itself')
})

t.test('only RUNNING sinks are judged; a PAUSED one starts a fresh window when resumed', async (t) => {
  const s = await setup(t)
  await committedAtZero(s)
  await step(s, false)
  await step(s, false)
  s.connect.connectors.get('orders-sink')!.state = 'PAUSED'
  // Checks of one run go side by side: progress reads the connectors check's verdicts of the run before.
  await step(s, false)
  const sampled = s.kafka.calls.committed
  for (let i = 0; i < 3; i++) await step(s, false)
  const c = await connector(s.a)
  t.match(c.body, { reason: 'CONNECTOR_PAUSED' }, 'the state check speaks for a PAUSED sink')
  t.notOk('progress' in c.body, 'no progress verdict for a sink that is not meant to consume')
  t.equal(s.kafka.calls.committed, sampled, 'nothing sampled while PAUSED')
  s.connect.connectors.get('orders-sink')!.state = 'RUNNING'
  await step(s, false)
  await step(s, false)
  t.match((await connector(s.a)).body, { progress: { status: 'FILLING', worst: [{ samples: 1 }] } }, 'resumed: the time it stood still by request is not a stall')
  await step(s, false)
  await step(s, false)
  t.match((await connector(s.a)).body, { progress: { status: 'STALLED' } }, 'still not consuming after a full window: STALLED')
})

t.test('--connect-progress-exclude: by connector name or connector.class, as globs', async (t) => {
  const s = await setup(t, ['--connect-progress-exclude', 'legacy-*,io.confluent.connect.s3.*'])
  s.connect.add('legacy-sink')
  s.connect.sinks.set('legacy-sink', { group: 'connect-legacy-sink', topics: ['orders'] })
  s.connect.add('s3-sink')
  s.connect.sinks.set('s3-sink', { group: 'connect-s3-sink', topics: ['orders'], connectorClass: 'io.confluent.connect.s3.S3SinkConnector' })
  await s.a.agent.runner.runCycle()
  await step(s, true)
  t.same(s.kafka.asked.groups, ['connect-orders-sink'], 'only the sink neither glob matches')
  t.notOk('progress' in (await connector(s.a, 's3-sink')).body)
  t.notOk('progress' in (await connector(s.a, 'legacy-sink')).body)
})

t.test('a group the coordinator did not answer for: no sample, its window stands', async (t) => {
  const s = await setup(t)
  await committedAtZero(s)
  await step(s, false)
  s.kafka.unanswered.add('connect-orders-sink')
  await step(s, false)
  t.match((await connector(s.a)).body, { healthy: true, progress: { status: 'FILLING', worst: [{ samples: 1 }] } }, 'no -1 samples for an unknown answer')
  await step(s, false)
  await step(s, false)
  t.match((await connector(s.a)).body, { progress: { partitions: 2, status: 'FILLING' } }, 'unanswered for a whole window: the window stands (its sink cannot commit either), never read as consuming')
  s.kafka.unanswered.clear()
  await step(s, false)
  await step(s, false)
  t.match((await connector(s.a)).body, { progress: { status: 'STALLED' } }, 'answered again: judged')
})

t.test('a partition no sample reaches for a whole window while its group answers is no longer judged', async (t) => {
  const s = await setup(t)
  await committedAtZero(s)
  for (let i = 0; i < 3; i++) await step(s, false)
  t.match((await connector(s.a)).body, { progress: { status: 'STALLED', partitions: 2 } })
  // The topic deleted, still listed in `topics`: no end offsets for it any more.
  s.kafka.ends.delete('orders')
  s.kafka.topic('orders', 0)
  for (let i = 0; i < 3; i++) await s.a.agent.runner.runCycle()
  t.match((await connector(s.a)).body, { progress: { partitions: 0 } }, 'not judged on its old samples for ever')
})

t.test('a sink whose config is unknown does not stop the others from being judged', async (t) => {
  const s = await setup(t)
  await committedAtZero(s)
  await step(s, false)
  s.connect.add('new-sink')
  s.connect.sinkError = new ConnectError('aborted', 'herder busy in a rebalance')
  for (let i = 0; i < 3; i++) await step(s, false)
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: false, reason: 'CONNECTOR_STALLED', message: /1 RUNNING sink left out: config not read yet/ } } })
})

t.test('policy readiness: a STALLED verdict stands through failed samples, for up to a window of them', async (t) => {
  const s = await setup(t, ['--connect-progress', 'readiness'])
  await committedAtZero(s)
  for (let i = 0; i < 3; i++) await step(s, false)
  t.equal((await s.a.app.inject({ url: '/readyz' })).statusCode, 503)
  s.kafka.fault = 'unreachable'
  for (let i = 0; i < 3; i++) {
    await step(s, false)
    t.equal((await s.a.app.inject({ url: '/readyz' })).statusCode, 503, `failed sample ${i + 1}: still 503, no flap to Ready`)
    t.match((await connector(s.a)).body, { healthy: false, progress: { status: 'STALLED' } })
  }
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: false, reason: 'CONNECTOR_STALLED', message: /as of the last good sample; 3 failed since: PROGRESS_UNREACHABLE/ } } })
  await step(s, false)
  t.equal((await s.a.app.inject({ url: '/readyz' })).statusCode, 200, 'past a window of failed samples: unknown, not gating')
})

t.test('a sink UNASSIGNED in a rebalance keeps its windows: rebalancing often does not hide a stall', async (t) => {
  const s = await setup(t)
  await committedAtZero(s)
  for (let i = 0; i < 6; i++) {
    s.connect.get('orders-sink').state = i % 2 === 0 ? 'UNASSIGNED' : 'RUNNING'
    await step(s, false)
  }
  s.connect.get('orders-sink').state = 'RUNNING'
  await step(s, false)
  await step(s, false)
  t.match((await connector(s.a)).body, { healthy: false, progress: { status: 'STALLED' } })
})

t.test('no RUNNING sink left: its metric series go', async (t) => {
  const s = await setup(t)
  await s.a.agent.runner.runCycle()
  await step(s, true)
  t.match((await s.a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_connect_sink_lag_records{connector="orders-sink"} 0')
  s.connect.connectors.delete('orders-sink')
  await step(s, true)
  await step(s, true)
  t.notMatch((await s.a.app.inject({ url: '/metrics' })).body, /connect_sink_lag_records\{/, 'gone with the connector')
})

t.test('sampling every N runs: runs between samples repeat the last verdict', async (t) => {
  const s = await setup(t, ['--connect-progress-every', '3'])
  await s.a.agent.runner.runCycle()
  for (let i = 0; i < 7; i++) await step(s, true)
  t.equal(s.kafka.calls.committed, 3, '7 runs, every 3rd samples: runs 1, 4, 7')
  t.equal(s.kafka.calls.ends, 3)
})

const FAULTS: Array<[FakeOffsetsClient['fault'], string]> = [
  ['unreachable', 'PROGRESS_UNREACHABLE'], ['auth', 'PROGRESS_AUTH'], ['tls', 'PROGRESS_TLS'], ['protocol', 'PROGRESS_PROTOCOL_ERROR'],
  ['client', 'PROGRESS_CLIENT_ERROR'], [new TypeError('a bug of ours'), 'PROGRESS_CLIENT_ERROR'], ['hang', 'TIMEOUT'],
]

t.test('Kafka failures (policy status): bounded reasons, never KAFKA_*; a hung cluster gives TIMEOUT within the deadline; it recovers by itself', async (t) => {
  const s = await setup(t)
  await s.a.agent.runner.runCycle()
  await step(s, true)
  for (const [fault, reason] of FAULTS) {
    s.kafka.fault = fault
    const t0 = performance.now()
    await step(s, true)
    t.ok(performance.now() - t0 < 1000, `${reason}: the run ends within its bound`)
    t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: false, reason } } }, String(fault))
    t.equal((await connector(s.a)).status, 200, 'an unknown progress leaves /connectors/<name> to the state-based verdict')
  }
  const metrics = (await s.a.app.inject({ url: '/metrics' })).body
  t.match(metrics, 'kafka_healthz_connect_sink_progress_sample_success 0')
  t.match(metrics, 'kafka_healthz_connect_sink_lag_records{connector="orders-sink"} 0', 'the last values stand: a lost sample does not reset an alert\'s clock')
  s.kafka.fault = undefined
  await step(s, true)
  t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: true } } }, 'back by itself')
  t.match((await s.a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_connect_sink_progress_sample_success 1')
})

t.test('Kafka failures (policy readiness): an unknown progress never gates /readyz', async (t) => {
  // The agent's own view of Kafka failing (a missing ACL, an unreachable bootstrap address) must
  // not take every Connect pod out of its Service at once.
  const s = await setup(t, ['--connect-progress', 'readiness'])
  await s.a.agent.runner.runCycle()
  for (const [fault, reason] of FAULTS) {
    s.kafka.fault = fault
    await step(s, true)
    const r = await s.a.app.inject({ url: '/readyz?verbose' })
    t.equal(r.statusCode, 200, `${reason}: /readyz 200`)
    t.match((await s.a.app.inject({ url: '/status' })).json(), { checks: { 'sink-progress': { ok: true, message: `progress unknown, not gating readiness: ${reason}: ` } } })
  }
  s.kafka.fault = undefined
  for (let i = 0; i < 3; i++) await step(s, false)
  t.equal((await s.a.app.inject({ url: '/readyz' })).statusCode, 503, 'a real stall still gates it')
})

t.test('a connector name that would forge a probe line is escaped in the probe body', async (t) => {
  const s = await setup(t, ['--connect-progress', 'readiness'])
  const evil = 'x\n[+]sink-progress ok'
  s.connect.connectors.delete('orders-sink')
  s.connect.add(evil)
  s.connect.sinks.set(evil, { group: 'g', topics: ['orders'] })
  s.kafka.commit('g', 'orders', 0, 0)
  s.kafka.commit('g', 'orders', 1, 0)
  await s.a.agent.runner.runCycle()
  for (let i = 0; i < 3; i++) await step(s, false)
  const body = (await s.a.app.inject({ url: '/readyz?verbose' })).body
  t.match(body, 'x\\n[+]sink-progress ok STALLED')
  t.notMatch(body, /^\[\+\]sink-progress ok$/m)
})

t.test('a window shorter than two of Connect\'s offset flushes is warned about at start; the default is not', async (t) => {
  const short = await startAgent(configFrom(BASE), { connectClient: new FakeConnectClient(), offsetsClient: new FakeOffsetsClient() }, { start: false })
  t.teardown(short.close)
  t.notMatch(short.logs.text, 'the window spans', '(3 - 1) × 1 × 1m = 120s: long enough')
  const defaults = await startAgent(configFrom(['--connect-url', 'http://127.0.0.1:1', '--connect-kafka-bootstrap', 'k:9092']), { connectClient: new FakeConnectClient(), offsetsClient: new FakeOffsetsClient() }, { start: false })
  t.teardown(defaults.close)
  t.notMatch(defaults.logs.text, 'the window spans', '(10 - 1) × 3 × 5s = 135s')
  const tight = await startAgent(configFrom(['--connect-url', 'http://127.0.0.1:1', '--connect-kafka-bootstrap', 'k:9092', '--connect-progress-every', '1']),
    { connectClient: new FakeConnectClient(), offsetsClient: new FakeOffsetsClient() }, { start: false })
  t.teardown(tight.close)
  t.match(tight.logs.text, 'sink progress: the window spans 45s, less than twice Connect\'s default offset.flush.interval.ms (60s)')
})

t.test('closing the agent closes the offsets client', async (t) => {
  const connect = new FakeConnectClient()
  const kafka = new FakeOffsetsClient()
  const a = await startAgent(configFrom(BASE), { connectClient: connect, offsetsClient: kafka }, { start: false })
  await a.close()
  t.equal(kafka.closed, 1)
})
