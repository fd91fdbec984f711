import { Counter, Gauge, type Registry } from 'prom-client'
import type { ProgressSink, SinkProgress } from './progress'
import { PROGRESS_STATUSES } from './progress-window'

export interface ProgressMetrics {
  readonly observe: ProgressSink
  /** Counts a request the offsets client sent, by Kafka API (Metadata, ListOffsets, OffsetFetch, …). */
  readonly request: (api: string) => void
}

/** The Kafka APIs a sample uses (plus the connection's own); anything else is counted as "other". */
const APIS = ['ApiVersions', 'SaslHandshake', 'SaslAuthenticate', 'Metadata', 'FindCoordinator', 'OffsetFetch', 'DescribeGroups', 'ListOffsets', 'other']

/**
 * Sink progress metrics: per connector (under --connect-metrics-max-connectors, first by name,
 * never per partition) its lag in records and seconds and a one-hot progress status; and
 * whether the last sample succeeded.
 */
export function createProgressMetrics (prefix: string, registry: Registry, maxConnectors: number): ProgressMetrics {
  const registers = [registry]
  const lag = new Gauge({ name: `${prefix}connect_sink_lag_records`, help: 'Sink progress: records the sink connector\'s group is behind the end offsets, summed over its partitions.', labelNames: ['connector'], registers })
  const lagSeconds = new Gauge({ name: `${prefix}connect_sink_lag_seconds`, help: 'Sink progress: estimated seconds the sink connector\'s group is behind the head (the most of its partitions); absent while unknown.', labelNames: ['connector'], registers })
  const status = new Gauge({
    name: `${prefix}connect_sink_progress`,
    help: `Sink progress: one-hot status of each sink connector (${PROGRESS_STATUSES.join(', ')}); STALLED, STOPPED and REWOUND are failing.`,
    labelNames: ['connector', 'status'],
    registers,
  })
  const requests = new Counter({ name: `${prefix}connect_sink_progress_requests_total`, help: 'Sink progress: requests sent to Kafka brokers, by API.', labelNames: ['api'], registers })
  for (const api of APIS) requests.inc({ api }, 0)
  const success = new Gauge({ name: `${prefix}connect_sink_progress_sample_success`, help: 'Sink progress: 1 if the last sample of offsets succeeded, 0 if it failed (the per-connector series then hold the last sample\'s values).', registers })
  let shown = new Set<string>()

  return {
    request: (api) => { requests.inc({ api: APIS.includes(api) ? api : 'other' }) },
    observe: (progress: readonly SinkProgress[] | undefined) => {
      // A failed sample keeps the last values: dropping them would reset every alert's `for:`
      // clock on one lost sample. The success gauge says they are not fresh.
      success.set(progress === undefined ? 0 : 1)
      if (progress === undefined) return
      const list = [...progress].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).slice(0, maxConnectors)
      const next = new Set(list.map((p) => p.name))
      for (const name of shown) {
        if (next.has(name)) continue
        lag.remove({ connector: name })
        lagSeconds.remove({ connector: name })
        for (const s of PROGRESS_STATUSES) status.remove({ connector: name, status: s })
      }
      for (const p of list) {
        lag.set({ connector: p.name }, p.lag)
        if (p.timeLagSeconds === null) lagSeconds.remove({ connector: p.name })
        else lagSeconds.set({ connector: p.name }, p.timeLagSeconds)
        for (const s of PROGRESS_STATUSES) status.set({ connector: p.name, status: s }, p.status === s ? 1 : 0)
      }
      shown = next
    },
  }
}
