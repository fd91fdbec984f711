import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { ConnectSink } from './checks'
import type { ConnectorVerdict } from './evaluate'
import { REASON_BY_KIND } from './reasons'
import type { ConnectEndpoint, ConnectRequestObserver } from './client'

/** Every state a connector or task can report, and OTHER for one we do not know; one-hot series use exactly these. */
export const CONNECT_STATES = ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNASSIGNED', 'RESTARTING', 'OTHER'] as const

/** Every endpoint the client names; a Record, so a new ConnectEndpoint does not compile until listed. */
const ENDPOINTS: Readonly<Record<ConnectEndpoint, true>> = {
  health: true, root: true, connectors: true, connector_status: true, connector_info: true, connector_restart: true,
}

/** One connector's series as last written: its worker label, its one-hot state, its tasks by state. */
interface Exported { readonly worker: string, readonly state: string, readonly tasks: ReadonlyMap<string, number> }

export interface ConnectMetrics extends ConnectSink {
  observeRequest: ConnectRequestObserver
}

/**
 * Connect metrics. Per-connector series are capped (--connect-metrics-max-connectors, in name
 * order) so a worker with thousands of connectors cannot blow up a Prometheus; the connectors
 * left out are counted instead. A state outside CONNECT_STATES is reported as "OTHER". Error
 * reasons use the same codes as probe bodies (CONNECT_BAD_RESPONSE, TIMEOUT, ...).
 */
export function createConnectMetrics (prefix: string, registry: Registry, maxConnectors: number): ConnectMetrics {
  const registers = [registry]
  const up = new Gauge({ name: `${prefix}connect_up`, help: 'The Connect worker answered its last health call as live (1: healthy, starting, or waiting on Kafka) or not (0).', registers })
  const connectorState = new Gauge({
    name: `${prefix}connect_connector_state`,
    help: 'One-hot connector state: 1 for the current state, 0 for the others; worker is where the connector instance runs.',
    labelNames: ['connector', 'worker', 'state'],
    registers,
  })
  const connectorTasks = new Gauge({
    name: `${prefix}connect_connector_tasks`,
    help: 'Tasks of each connector by state.',
    labelNames: ['connector', 'state'],
    registers,
  })
  const tasks = new Gauge({ name: `${prefix}connect_tasks`, help: 'Tasks of all selected connectors by state.', labelNames: ['state'], registers })
  const connectors = new Gauge({ name: `${prefix}connect_connectors`, help: 'Selected connectors by health (healthy, unhealthy).', labelNames: ['health'], registers })
  // A gauge rather than a counter: "how many are missing from the series now" is what a
  // dashboard or alert needs, and a counter would add the same connectors again every run.
  const leftOut = new Gauge({
    name: `${prefix}connect_connectors_left_out`,
    help: 'Selected connectors left out of the per-connector series by --connect-metrics-max-connectors at the last run.',
    registers,
  })
  const duration = new Histogram({
    name: `${prefix}connect_request_duration_seconds`,
    help: 'Duration of requests to the Connect REST API by endpoint.',
    labelNames: ['endpoint'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  })
  const errors = new Counter({
    name: `${prefix}connect_request_errors_total`,
    help: 'Failed requests to the Connect REST API by endpoint and reason.',
    labelNames: ['endpoint', 'reason'],
    registers,
  })
  // Endpoints and reasons are closed sets: their series start at 0, so the first error shows in
  // rate() and increase(). (Endpoints this configuration never calls just stay at 0.)
  const reasons = [...new Set(Object.values(REASON_BY_KIND))]
  for (const endpoint of Object.keys(ENDPOINTS)) {
    duration.zero({ endpoint })
    for (const reason of reasons) errors.inc({ endpoint, reason }, 0)
  }
  // The connector label comes from the worker, so these series cannot exist before the first
  // restart of each connector; no alert reads them (the connector state gauges carry the alerts).
  const restarts = new Counter({
    name: `${prefix}connect_restarts_total`,
    help: 'Restarts self-healing asked for, by connector and result (requested, failed, rebalancing); connector is empty past --connect-metrics-max-connectors connectors.',
    labelNames: ['connector', 'result'],
    registers,
  })
  const givenUp = new Gauge({
    name: `${prefix}connect_restarts_given_up`,
    help: 'Connectors still FAILED after --connect-restart-max-attempts restarts, which self-healing no longer restarts.',
    registers,
  })
  // Counters cannot be reset each run like the gauges above: the first maxConnectors connectors
  // ever restarted keep their own series, later ones share connector="".
  const restartLabels = new Set<string>()

  const states: ReadonlySet<string> = new Set(CONNECT_STATES)
  const known = (state: string): string => states.has(state) ? state : 'OTHER'

  // What the per-connector series hold now, to touch only what a run changed: with thousands of
  // connectors, rewriting every series each run (prom-client hashes the labels on every call) was
  // a sixth of a run's CPU, and at rest nothing changes.
  let exported = new Map<string, Exported>()
  let lastVerdicts: readonly ConnectorVerdict[] | undefined | null = null

  function dropStates (name: string, worker: string): void {
    for (const state of CONNECT_STATES) connectorState.remove({ connector: name, worker, state })
  }

  function dropConnector (name: string, was: Exported): void {
    dropStates(name, was.worker)
    for (const state of was.tasks.keys()) connectorTasks.remove({ connector: name, state })
  }

  function updateConnector (v: ConnectorVerdict, was: Exported | undefined): Exported {
    const state = known(v.state)
    // The worker is a label: a connector that moved gets new series, and its old ones go.
    const moved = was !== undefined && was.worker !== v.workerId
    if (moved) dropStates(v.name, was.worker)
    if (was === undefined || moved) {
      for (const s of CONNECT_STATES) connectorState.set({ connector: v.name, worker: v.workerId, state: s }, state === s ? 1 : 0)
    } else if (was.state !== state) {
      connectorState.set({ connector: v.name, worker: v.workerId, state: was.state }, 0)
      connectorState.set({ connector: v.name, worker: v.workerId, state }, 1)
    }
    const tasks = countStates(v.tasks)
    for (const [s, n] of tasks) if (was?.tasks.get(s) !== n) connectorTasks.set({ connector: v.name, state: s }, n)
    if (was !== undefined) for (const s of was.tasks.keys()) if (!tasks.has(s)) connectorTasks.remove({ connector: v.name, state: s })
    return { worker: v.workerId, state, tasks }
  }

  function countStates (tasks: ConnectorVerdict['tasks']): Map<string, number> {
    const counts = new Map<string, number>()
    for (const t of tasks) { const st = known(t.state); counts.set(st, (counts.get(st) ?? 0) + 1) }
    return counts
  }

  return {
    workerUp: (isUp) => { up.set(isUp ? 1 : 0) },
    connectors: (verdicts: readonly ConnectorVerdict[] | undefined) => {
      // The check hands over the same array when the run found nothing new.
      if (verdicts === lastVerdicts) return
      lastVerdicts = verdicts
      tasks.reset()
      connectors.reset()
      leftOut.reset()
      if (verdicts === undefined) { // unknown: no series rather than stale ones
        connectorState.reset()
        connectorTasks.reset()
        exported = new Map()
        return
      }
      let healthy = 0
      const total = new Map<string, number>()
      for (const v of verdicts) {
        if (v.healthy) healthy++
        for (const t of v.tasks) { const st = known(t.state); total.set(st, (total.get(st) ?? 0) + 1) }
      }
      connectors.set({ health: 'healthy' }, healthy)
      connectors.set({ health: 'unhealthy' }, verdicts.length - healthy)
      for (const [state, n] of total) tasks.set({ state }, n)
      // Past the cap, the first connectors by name keep their series (sorting only then).
      const shown = verdicts.length <= maxConnectors
        ? verdicts
        : [...verdicts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, maxConnectors)
      leftOut.set(verdicts.length - shown.length)
      const next = new Map<string, Exported>()
      for (const v of shown) next.set(v.name, updateConnector(v, exported.get(v.name)))
      for (const [name, was] of exported) if (!next.has(name)) dropConnector(name, was)
      exported = next
    },
    restarted: (connector, result) => {
      if (!restartLabels.has(connector) && restartLabels.size < maxConnectors) restartLabels.add(connector)
      restarts.inc({ connector: restartLabels.has(connector) ? connector : '', result })
    },
    givenUp: (n) => { givenUp.set(n) },
    observeRequest: (endpoint, seconds, error) => {
      duration.observe({ endpoint }, seconds)
      if (error !== undefined) errors.inc({ endpoint, reason: REASON_BY_KIND[error] })
    },
  }
}
