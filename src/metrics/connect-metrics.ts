import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { ConnectSink } from '../checks/connect-checks'
import type { ConnectorVerdict } from '../checks/connect-evaluate'
import { REASON_BY_KIND } from '../checks/connect-reasons'
import type { ConnectRequestObserver } from '../clients/connect-client'

/** Every state a connector or task can report, and OTHER for one we do not know; one-hot series use exactly these. */
export const CONNECT_STATES = ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNASSIGNED', 'RESTARTING', 'OTHER'] as const

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
  const up = new Gauge({ name: `${prefix}connect_up`, help: 'The Connect worker answered its last health call as live (1) or not (0).', registers })
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

  const known = (state: string): string => (CONNECT_STATES as readonly string[]).includes(state) ? state : 'OTHER'

  return {
    workerUp: (isUp) => { up.set(isUp ? 1 : 0) },
    connectors: (verdicts: readonly ConnectorVerdict[] | undefined) => {
      connectorState.reset()
      connectorTasks.reset()
      tasks.reset()
      connectors.reset()
      leftOut.reset()
      if (verdicts === undefined) return // unknown: no series rather than stale ones
      connectors.set({ health: 'healthy' }, verdicts.filter((v) => v.healthy).length)
      connectors.set({ health: 'unhealthy' }, verdicts.filter((v) => !v.healthy).length)
      const byName = [...verdicts].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      const exported = byName.slice(0, maxConnectors)
      leftOut.set(byName.length - exported.length)
      // Count in plain maps first and touch each labelled series once: prom-client hashes the
      // labels on every call, and one call per task made this the costliest part of a run.
      const total = new Map<string, number>()
      for (const v of byName) for (const t of v.tasks) { const st = known(t.state); total.set(st, (total.get(st) ?? 0) + 1) }
      for (const [state, n] of total) tasks.set({ state }, n)
      for (const v of exported) {
        const current = known(v.state)
        for (const state of CONNECT_STATES) connectorState.set({ connector: v.name, worker: v.workerId, state }, current === state ? 1 : 0)
        const mine = new Map<string, number>()
        for (const t of v.tasks) { const st = known(t.state); mine.set(st, (mine.get(st) ?? 0) + 1) }
        for (const [state, n] of mine) connectorTasks.set({ connector: v.name, state }, n)
      }
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
