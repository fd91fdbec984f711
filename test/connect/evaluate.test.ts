import t from 'tap'
import { evaluateConnectors, onThisWorker, type EvaluateOptions } from '../../src/connect/evaluate'
import { globToRegExp, selector } from '../../src/core/glob'
import type { ConnectorStatus } from '../../src/connect/client'

const opts = (o: Partial<EvaluateOptions> = {}): EvaluateOptions => ({
  selectors: [], scope: { kind: 'all' }, healthyStates: ['RUNNING'], transitionGraceMs: 1000, checkTasksMax: false,
  unhealthyTolerancePct: 0, requireConnectors: false, traceLength: 50, ...o,
})
const status = (name: string, state = 'RUNNING', tasks: Array<[string, string?]> = [['RUNNING']], extra: Partial<ConnectorStatus> = {}): ConnectorStatus => ({
  name, state, workerId: 'w1:8083', type: 'sink', tasks: tasks.map(([s, w], id) => ({ id, state: s, workerId: w ?? 'w1:8083' })), ...extra,
})

t.test('globs: * and ? only, anchored, / is an ordinary character', async (t) => {
  t.ok(globToRegExp('s3-*').test('s3-sink/eu'))
  t.notOk(globToRegExp('s3-*').test('xs3-sink'))
  t.ok(globToRegExp('a?c').test('abc'))
  t.ok(globToRegExp('a.b(c)').test('a.b(c)'))
  t.notOk(globToRegExp('a.b').test('axb'))
  t.ok(selector([])('anything'))
  t.ok(selector(['x', 'y*'])('yes'))
})

t.test('worker matching: exact, auto by IP, hostname and FQDN prefix', async (t) => {
  t.ok(onThisWorker({ kind: 'exact', workerId: 'connect-0.connect:8083' }, 'Connect-0.connect:8083'))
  t.notOk(onThisWorker({ kind: 'exact', workerId: 'connect-0.connect:8083' }, 'connect-0.connect:8084'))
  const auto = { kind: 'auto', hosts: ['10.0.0.7', 'connect-0', 'fd00::7'] } as const
  t.ok(onThisWorker(auto, '10.0.0.7:8083'))
  t.ok(onThisWorker(auto, 'connect-0.connect.kafka.svc.cluster.local:8083'))
  t.ok(onThisWorker(auto, '[fd00::7]:8083'))
  t.notOk(onThisWorker(auto, 'connect-01:8083'))
  t.notOk(onThisWorker(auto, '10.0.0.70:8083'))
})

t.test('an unknown future state is unhealthy with a generic reason; healthy-states can admit PAUSED', async (t) => {
  const clock = new Map<string, number>()
  const weird = evaluateConnectors([status('a', 'DEGRADED')], opts(), 0, clock)
  t.match(weird.result, { ok: false, reason: 'CONNECTOR_UNHEALTHY', message: '1 of 1 connectors unhealthy: a connector DEGRADED' })
  const paused = evaluateConnectors([status('a', 'PAUSED', [['PAUSED']])], opts({ healthyStates: ['RUNNING', 'PAUSED'] }), 0, clock)
  t.match(paused.result, { ok: true, message: '1 connector healthy' })
})

t.test('messages list five connectors, then a count; traces are cut', async (t) => {
  const many = Array.from({ length: 8 }, (_, i) => status(`c${i}`, 'FAILED', [], { trace: 'x'.repeat(500) }))
  const { result, verdicts } = evaluateConnectors(many, opts(), 0, new Map())
  t.match(result.message, /^8 of 8 connectors unhealthy: c0 connector FAILED: x+; c1 .*; c4 connector FAILED: x+; \+3 more$/)
  t.equal(verdicts[0]?.trace?.length, 50)
})

t.test('tolerance: at or under the percentage passes, and says so', async (t) => {
  const list = [status('a', 'FAILED'), status('b'), status('c'), status('d')]
  t.match(evaluateConnectors(list, opts({ unhealthyTolerancePct: 25 }), 0, new Map()).result, { ok: true, message: 'within the 25% tolerance: 1 of 4 connectors unhealthy: a connector FAILED' })
  t.match(evaluateConnectors(list, opts({ unhealthyTolerancePct: 24 }), 0, new Map()).result, { ok: false })
})

t.test('tasks.max: missing tasks, judged by the worker that owns the connector', async (t) => {
  const s = status('jdbc', 'RUNNING', [['RUNNING', 'w1:8083'], ['FAILED', 'w2:8083']])
  const max = new Map([['jdbc', 3]])
  const own = evaluateConnectors([s], opts({ checkTasksMax: true, scope: { kind: 'exact', workerId: 'w1:8083' } }), 0, new Map(), max)
  t.match(own.result, { ok: false, reason: 'TASKS_BELOW_MAX', message: '1 of 1 connectors unhealthy: jdbc only 2 of tasks.max 3 tasks exist' })
  t.notMatch(own.result.message, 'FAILED', 'the FAILED task on w2 is not this pod\'s business')
  const enough = evaluateConnectors([s], opts({ checkTasksMax: true, scope: { kind: 'exact', workerId: 'w1:8083' } }), 0, new Map(), new Map([['jdbc', 2]]))
  t.match(enough.result, { ok: true }, 'a task FAILED on another worker does not count as missing')
  const other = evaluateConnectors([s], opts({ checkTasksMax: true, scope: { kind: 'exact', workerId: 'w2:8083' } }), 0, new Map(), max)
  t.match(other.result, { ok: false, reason: 'CONNECTOR_FAILED' })
  t.notMatch(other.result.message, 'tasks.max', 'only the owner of the connector judges tasks.max')
  t.same(other.verdicts[0]?.tasks.map((x) => x.id), [1], 'only this worker\'s tasks')
  const unknown = evaluateConnectors([s], opts({ checkTasksMax: true }), 0, new Map(), undefined)
  t.match(unknown.result, { ok: false, reason: 'CONNECTOR_FAILED' }, 'without tasks.max data, tasks are still judged')
})

t.test('scoping that selects nothing says which workers it saw', async (t) => {
  const r = evaluateConnectors([status('a'), status('b')], opts({ scope: { kind: 'auto', hosts: ['10.9.9.9'] } }), 0, new Map())
  t.match(r.result, { ok: true, message: 'no connector is selected; selected connectors run only on w1:8083 (check --connect-worker-id)' })
  t.match(r.result.details, { onOtherWorkers: 2 })
})

t.test('a zero trace length keeps traces out of messages too', async (t) => {
  const r = evaluateConnectors([status('a', 'FAILED', [], { trace: 'jdbc:postgresql://db/secret-ish\n\tat x' })], opts({ traceLength: 0 }), 0, new Map())
  t.equal(r.result.message, '1 of 1 connectors unhealthy: a connector FAILED')
})

t.test('the transition clock: grace per connector and task, forgotten once it ends', async (t) => {
  const clock = new Map<string, number>()
  const o = opts({ transitionGraceMs: 100 })
  t.ok(evaluateConnectors([status('a', 'UNASSIGNED', [['UNASSIGNED']])], o, 1000, clock).result.ok)
  t.equal(clock.size, 2)
  t.ok(evaluateConnectors([status('a', 'RESTARTING', [['UNASSIGNED']])], o, 1099, clock).result.ok, 'UNASSIGNED → RESTARTING is one transition')
  t.match(evaluateConnectors([status('a', 'RESTARTING', [['UNASSIGNED']])], o, 1100, clock).result, { ok: false, reason: 'CONNECTOR_UNASSIGNED' })
  evaluateConnectors([status('a')], o, 1200, clock)
  t.equal(clock.size, 0)
})

t.test('RUNNING on a worker that is gone: UNASSIGNED in all but name, grace included', async (t) => {
  const clock = new Map<string, number>()
  const gone = new Set(['w2:8083'])
  const statuses = [status('a', 'RUNNING', [['RUNNING', 'w2:8083'], ['RUNNING']]), status('b', 'RUNNING', [['RUNNING']], { workerId: 'w2:8083' }), status('c')]
  const early = evaluateConnectors(statuses, opts(), 0, clock, undefined, new Set(), gone)
  t.match(early.result, { ok: true, message: '3 connectors healthy' }, 'inside the grace, as a rebalance')
  const late = evaluateConnectors(statuses, opts(), 1000, clock, undefined, new Set(), gone)
  t.match(late.result, {
    ok: false,
    reason: 'CONNECTOR_UNASSIGNED',
    message: '2 of 3 connectors unhealthy: a task 0 RUNNING on w2:8083, a worker that is gone (its work not yet moved); b connector RUNNING on w2:8083, a worker that is gone (its work not yet moved)',
  })
  t.equal(late.verdicts[0]?.tasks[0]?.state, 'RUNNING', 'the state shown is still the one the worker reports')
  t.match(evaluateConnectors(statuses, opts(), 2000, clock).result, { ok: true }, 'once the worker is back (or nothing was dialled), RUNNING is RUNNING')
  t.equal(clock.size, 0, 'and the grace clock forgets it')
  const failed = evaluateConnectors([status('d', 'RUNNING', [['FAILED', 'w2:8083']])], opts(), 5000, clock, undefined, new Set(), gone)
  t.match(failed.result, { reason: 'CONNECTOR_FAILED' }, 'only RUNNING can lie: FAILED on a gone worker stays FAILED')
})
