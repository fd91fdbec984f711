import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { RUN_REASONS, type Check } from './core/check'
import { PROBES, Probes, type Lifecycle, type ProbeName } from './core/probes'
import { Runner } from './core/runner'
import type { RouteContext, TargetParts } from './core/target'
import type { Config } from './config/resolve'
import { METRIC_PREFIX, createMetrics, type KnownCheck, type Metrics } from './metrics/metrics'
import { TARGETS, type TargetDeps } from './targets'
import { VERSION } from './version'

/** Everything the HTTP layer and one-shot mode read from, built from config and explicit dependencies. */
export interface Agent {
  readonly config: Config
  readonly runner: Runner
  readonly probes: Probes
  readonly metrics: Metrics
  readonly lifecycle: Lifecycle
  readonly startedAt: number
  /** Registers the configured targets' own routes (/prestop, /connectors/<name>) on the app. */
  readonly routes: (app: FastifyInstance, logger: Logger) => void
  /** Stops the checks and closes every client connection. */
  close: () => Promise<void>
}

export interface AgentDeps extends Partial<TargetDeps> {
  readonly logger: Logger
  readonly now?: () => number
  /** Monotonic clock for scheduling, staleness and grace periods; default performance.now. */
  readonly monotonic?: () => number
}

/** A verdict older than this many intervals (plus one timeout) has no run behind it: STALE. */
const STALE_AFTER_INTERVALS = 3

/**
 * The composition root: each configured target builds its checks, metrics and routes; the
 * runner runs every check under one deadline; the probes read the runner's cache.
 */
export function createAgent (config: Config, deps: AgentDeps): Agent {
  const now = deps.now ?? Date.now
  const monotonic = deps.monotonic ?? (() => performance.now())
  const lifecycle: Lifecycle = { shuttingDown: false, stopping: 0 }
  // The verdict gauges read the runner and probes lazily, at scrape time; both are built below.
  const metrics = createMetrics(VERSION, () => ({
    views: () => runner.names.flatMap((n) => runner.view(n) ?? []),
    probe: (name) => probes.evaluate(name),
  }))

  const ctx = { config, logger: deps.logger, now, monotonic, lifecycle, registry: metrics.registry, metricPrefix: METRIC_PREFIX, version: VERSION, deps }
  const built: TargetParts[] = []
  const checks: Check[] = []
  const wiring: Record<ProbeName, string[]> = { livez: [], readyz: [], startupz: [] }
  // Each check with the reasons its runs can fail with, so its metric series start at 0.
  const known: KnownCheck[] = []
  for (const target of TARGETS) {
    const parts = target.build(ctx)
    if (parts === undefined) continue
    built.push(parts)
    checks.push(...parts.checks)
    for (const p of PROBES) wiring[p].push(...parts.probes[p])
    for (const c of parts.checks) known.push({ name: c.name, failureReasons: [...RUN_REASONS, ...(c.reasons ?? target.reasons)] })
  }
  metrics.initChecks(known)

  const runner = new Runner({
    checks,
    intervalMs: config.interval,
    timeoutMs: config.timeout,
    failureThreshold: config.failureThreshold,
    successThreshold: config.successThreshold,
    staleAfterMs: STALE_AFTER_INTERVALS * config.interval + config.timeout,
    now,
    monotonic,
    logger: deps.logger,
    onRun: metrics.observeRun,
  })
  const probes = new Probes(runner, wiring, lifecycle)

  return {
    config,
    runner,
    probes,
    metrics,
    lifecycle,
    startedAt: now(),
    routes: (app, logger) => {
      const stopGates = built.flatMap((parts) => parts.stopGate === undefined ? [] : [parts.stopGate])
      const routeCtx: RouteContext = { runner, lifecycle, logger, stopGates }
      for (const parts of built) parts.routes?.(app, routeCtx)
    },
    close: async () => {
      await runner.stop()
      await Promise.all(built.map(async (p) => { await p.close() }))
    },
  }
}
