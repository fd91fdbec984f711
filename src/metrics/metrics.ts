import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Reason } from '../core/check'
import type { RunRecord } from '../core/verdict'
import { PROBES, type ProbeName, type ProbeVerdict } from '../core/probes'
import type { CheckView } from '../core/runner'

/**
 * The agent's registry and the metrics every target shares (checks, probes, requests). Each
 * target registers its own on the same registry (kafka/metrics.ts, connect/metrics.ts). Names
 * carry the kafka_healthz_ prefix and their unit; every label takes values from a closed set
 * (check names, probe names, reason codes, route patterns, status codes).
 */
export const METRIC_PREFIX = 'kafka_healthz_'

/** What the verdict gauges read at scrape time; they never trigger a check themselves. */
export interface VerdictSource {
  views: () => CheckView[]
  probe: (name: ProbeName) => ProbeVerdict
}

/** A check and the reasons its runs can fail with: its counter series start at 0 from these. */
export interface KnownCheck {
  readonly name: string
  readonly failureReasons: readonly Reason[]
}

/**
 * Endpoints whose status is the answer itself (200 or 503): their request series start at 0.
 * Other codes (404, 405, ...) and other routes appear on their first request; no alert reads them.
 */
const PROBE_ENDPOINTS = [...PROBES.map((p) => `/${p}`), '/ping', '/prestop']

export interface Metrics {
  readonly registry: Registry
  /**
   * Creates every per-check series at 0 (runs, failures by reason, durations) before any run:
   * a counter series that first appears at 1 shows no increase(), and an alert on its first
   * event would never fire (Prometheus instrumentation guidance: initialise known label sets).
   */
  initChecks: (checks: readonly KnownCheck[]) => void
  observeRun: (check: string, run: RunRecord) => void
  probeRequest: (endpoint: string, code: number) => void
}

export function createMetrics (version: string, source: () => VerdictSource): Metrics {
  const registry = new Registry()
  const registers = [registry]
  // The event-loop delay histogram (nodejs_eventloop_lag_p50/p90/p99_seconds) samples on a
  // timer: prom-client's default 10 ms wakes the process 100 times a second, which was most of an
  // idle agent's CPU (about 0.5% of a core on its own). At 100 ms it still sees every stall long
  // enough to matter to a probe, for a tenth of the wakeups (BENCHMARKS.md, "Footprint").
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 })
  // prom-client's defaults include gauges named *_total (nodejs_active_handles_total,
  // nodejs_active_requests_total, nodejs_active_resources_total). `promtool check metrics`
  // rejects them, and the _total suffix tells Prometheus users "counter: rate() me". Their
  // labelled siblings (nodejs_active_handles{type}, ...) carry the same numbers: sum() them.
  // Only the defaults are filtered, before our own metrics exist: ours must be named right.
  for (const m of registry.getMetricsAsArray()) {
    if (m.name.endsWith('_total') && !(m instanceof Counter)) registry.removeSingleMetric(m.name)
  }

  new Gauge({
    name: `${METRIC_PREFIX}build_info`,
    help: 'Always 1; labels carry the agent version and the Node.js version.',
    labelNames: ['version', 'nodejs'],
    registers,
  }).set({ version, nodejs: process.versions.node }, 1)

  new Gauge({
    name: `${METRIC_PREFIX}check_up`,
    help: 'Verdict of each check after thresholds and staleness: 1 passing, 0 failing.',
    labelNames: ['check'],
    registers,
    collect () {
      this.reset()
      for (const v of source().views()) this.set({ check: v.name }, v.ok ? 1 : 0)
    },
  })

  new Gauge({
    name: `${METRIC_PREFIX}probe_up`,
    help: 'What each probe endpoint answers right now: 1 for 200, 0 for 503.',
    labelNames: ['probe'],
    registers,
    collect () {
      for (const probe of PROBES) this.set({ probe }, source().probe(probe).ok ? 1 : 0)
    },
  })

  const duration = new Histogram({
    name: `${METRIC_PREFIX}check_duration_seconds`,
    help: 'Duration of check runs, including runs cut off by the timeout.',
    labelNames: ['check'],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  })
  const lastRun = new Gauge({
    name: `${METRIC_PREFIX}check_last_run_timestamp_seconds`,
    help: 'Unix time at which the last run of each check finished.',
    labelNames: ['check'],
    registers,
  })
  const runs = new Counter({
    name: `${METRIC_PREFIX}check_runs_total`,
    help: 'Check runs by result (success or failure), before thresholds.',
    labelNames: ['check', 'result'],
    registers,
  })
  const failures = new Counter({
    name: `${METRIC_PREFIX}check_failures_total`,
    help: 'Failed check runs by reason code (TIMEOUT, KAFKA_UNREACHABLE, ...).',
    labelNames: ['check', 'reason'],
    registers,
  })
  // Counted on every HTTP request, so the count is a plain number per (endpoint, code), added to
  // the counter when it is collected (a scrape): prom-client's labelled inc hashes the label set
  // on every call, which cost about 3% of a probe answer (bench/pair.ts). Same series, same values.
  const requestCounts = new Map<string, Map<number, { n: number, readonly child: { inc: (value: number) => void } }>>()
  const requests = new Counter({
    name: `${METRIC_PREFIX}probe_requests_total`,
    help: 'HTTP requests served, by endpoint (route pattern) and status code.',
    labelNames: ['endpoint', 'code'],
    registers,
    collect () {
      for (const codes of requestCounts.values()) {
        for (const count of codes.values()) {
          if (count.n === 0) continue
          count.child.inc(count.n)
          count.n = 0
        }
      }
    },
  })
  for (const endpoint of PROBE_ENDPOINTS) for (const code of ['200', '503']) requests.inc({ endpoint, code }, 0)

  return {
    registry,
    initChecks (checks) {
      for (const { name: check, failureReasons } of checks) {
        duration.zero({ check })
        for (const result of ['success', 'failure']) runs.inc({ check, result }, 0)
        for (const reason of failureReasons) failures.inc({ check, reason }, 0)
      }
    },
    observeRun (check, run) {
      duration.observe({ check }, run.durationMs / 1000)
      lastRun.set({ check }, run.finishedAt / 1000)
      runs.inc({ check, result: run.ok ? 'success' : 'failure' })
      if (!run.ok) failures.inc({ check, reason: run.reason })
    },
    probeRequest (endpoint, code) {
      let codes = requestCounts.get(endpoint)
      if (codes === undefined) {
        codes = new Map()
        requestCounts.set(endpoint, codes)
      }
      const count = codes.get(code)
      if (count === undefined) {
        codes.set(code, { n: 1, child: requests.labels({ endpoint, code: String(code) }) })
      } else count.n++
    },
  }
}
