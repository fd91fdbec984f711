// The per-connector series are updated in place, touching only what changed between runs. The
// property that matters: after any sequence of runs, /metrics shows exactly what a fresh agent
// would show for the last run alone (no stale series left behind, none missing).
import t from 'tap'
import { Registry } from 'prom-client'
import type { ConnectorVerdict } from '../../src/connect/evaluate'
import { CONNECT_STATES, createConnectMetrics } from '../../src/connect/metrics'

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random (seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6D2B79F5) | 0
    let r = Math.imul(a ^ (a >>> 15), 1 | a)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296
  }
}

const NAMES = ['a', 'b', 'c', 'd', 'e']
const WORKERS = ['10.0.0.1:8083', '10.0.0.2:8083']
const STATES = [...CONNECT_STATES.filter((s) => s !== 'OTHER'), 'SOMETHING_NEW']
const SERIES = ['connect_connector_state', 'connect_connector_tasks', 'connect_tasks', 'connect_connectors', 'connect_connectors_left_out']

function verdicts (rnd: () => number): ConnectorVerdict[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T
  return NAMES.filter(() => rnd() < 0.7).map((name) => ({
    name,
    healthy: rnd() < 0.5,
    reason: 'OK',
    problems: [],
    state: pick(STATES),
    workerId: pick(WORKERS),
    type: 'sink',
    tasks: Array.from({ length: Math.floor(rnd() * 4) }, (_, id) => ({ id, state: pick(STATES), workerId: pick(WORKERS), healthy: true })),
  }))
}

async function text (registry: Registry): Promise<string> {
  const out: string[] = []
  for (const name of SERIES) out.push(...(await registry.getSingleMetricAsString(`x_${name}`)).split('\n').filter((l) => !l.startsWith('#')))
  return out.sort().join('\n')
}

t.test('after any sequence of runs the series equal a fresh agent\'s for the last run', async (t) => {
  for (const seed of [1, 2, 3, 4, 5]) {
    const rnd = random(seed)
    const registry = new Registry()
    const metrics = createConnectMetrics('x_', registry, 3)
    let last: ConnectorVerdict[] = []
    let mismatches = 0
    for (let step = 0; step < 300; step++) {
      const r = rnd()
      // Mostly new runs; sometimes the check hands over its last verdicts again (nothing changed,
      // also right after a failed run, as the check's memo does), sometimes the run failed (no
      // per-connector series at all).
      const now: ConnectorVerdict[] | undefined = r < 0.15 ? last : r < 0.3 ? undefined : verdicts(rnd)
      metrics.connectors(now)
      if (now !== undefined) last = now
      const fresh = new Registry()
      createConnectMetrics('x_', fresh, 3).connectors(now)
      const [got, want] = [await text(registry), await text(fresh)]
      if (got !== want) {
        mismatches++
        if (mismatches === 1) t.equal(got, want, `seed ${seed}, step ${step}`)
      }
    }
    t.equal(mismatches, 0, `seed ${seed}: 300 runs, every one as a fresh agent would show it`)
  }
})

t.test('a connector that moves, changes state, loses tasks or goes away leaves no series behind', async (t) => {
  const registry = new Registry()
  const m = createConnectMetrics('x_', registry, 10)
  const v = (state: string, workerId: string, tasks: string[]): ConnectorVerdict => ({
    name: 'orders', healthy: true, reason: 'OK', problems: [], state, workerId, type: 'sink',
    tasks: tasks.map((s, id) => ({ id, state: s, workerId, healthy: true })),
  })
  m.connectors([v('RUNNING', 'w1:8083', ['RUNNING', 'RUNNING'])])
  m.connectors([v('PAUSED', 'w2:8083', ['PAUSED'])])
  const out = await registry.getSingleMetricAsString('x_connect_connector_state')
  t.notMatch(out, 'w1:8083', 'the old worker\'s series are gone')
  t.match(out, 'x_connect_connector_state{connector="orders",worker="w2:8083",state="PAUSED"} 1')
  t.match(out, 'x_connect_connector_state{connector="orders",worker="w2:8083",state="RUNNING"} 0')
  const tasks = await registry.getSingleMetricAsString('x_connect_connector_tasks')
  t.notMatch(tasks, 'state="RUNNING"', 'no task is RUNNING any more: that series is gone, not 0')
  t.match(tasks, 'x_connect_connector_tasks{connector="orders",state="PAUSED"} 1')
  m.connectors([])
  t.notMatch(await registry.metrics(), 'connector="orders"')
})
