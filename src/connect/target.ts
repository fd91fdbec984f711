import type { ConnectTarget } from '../config/connect-target'
import { formatDuration } from '../config/duration'
import { checkTlsMaterial } from '../config/read-option'
import { rotationCheck, swappable } from '../core/rotation'
import type { Target, TargetContext, TargetParts } from '../core/target'
import { CHECK_CONNECTORS, connectorsCheck } from './checks'
import { CHECK_CONNECT_READY, CHECK_CONNECT_WORKER, connectWorkerChecks, HEALTH_WAIT_MS } from './worker'
import type { ConnectClient } from './client'
import { createConnectMetrics } from './metrics'
import { CONNECT_REASONS } from './reasons'
import { connectorRoutes } from './routes'
import { createUndiciConnectClient } from './undici-lazy'
import type { Dial } from './departed'
import { createKafkajsOffsetsClient, type OffsetsClient } from '../kafka/seam'
import { CHECK_SINK_PROGRESS, progressCheck } from './progress'
import type { ConnectorVerdict } from './evaluate'
import { createProgressMetrics } from './progress-metrics'

/**
 * Connect commits a sink's offsets every offset.flush.interval.ms (60 s by default): a window
 * shorter than two of those sees a healthy sink's committed offset stand still.
 */
const MIN_WINDOW_SPAN_MS = 120_000

/** Test seams of the Connect target; production uses undici, and kafkajs for sink progress. */
export interface ConnectDeps {
  readonly connectClient?: ConnectClient
  /** How other workers' REST addresses are tried (departed.ts); a TCP connect by default. */
  readonly workerDial?: Dial
  readonly offsetsClient?: OffsetsClient
  /** How long one /health may take (worker.ts HEALTH_WAIT_MS); tests shorten it. */
  readonly healthWaitMs?: number
}

/**
 * The Kafka Connect worker in this pod (--connect-url): connect-worker (liveness), connect-ready
 * and connectors (readiness), per-connector metrics, opt-in self-healing, and
 * GET /connectors/<name>.
 */
function build ({ config, logger, monotonic, registry, metricPrefix, version, deps }: TargetContext<ConnectDeps>): TargetParts | undefined {
  const target = config.connect
  if (target === undefined) return undefined
  const metrics = createConnectMetrics(metricPrefix, registry, target.metricsMaxConnectors)
  const make = (t: ConnectTarget): ConnectClient => createUndiciConnectClient({ target: t, timeoutMs: config.timeout, userAgent: `kafka-healthz/${version}`, onRequest: metrics.observeRequest })
  // Checks hold one client; a rotation of the secret files swaps what it talks through.
  // The replaced client must outlive a /health still out (worker.ts waits up to HEALTH_WAIT_MS):
  // closing it would abort that request and read as the worker unreachable.
  const holder = swappable(deps.connectClient ?? make(target), Math.max(config.timeout * 2, (deps.healthWaitMs ?? HEALTH_WAIT_MS) + config.timeout))
  const client: ConnectClient = {
    health: async (signal, waitMs) => await holder.current().health(signal, waitMs),
    root: async (signal) => { await holder.current().root(signal) },
    connectorStatuses: async (signal) => await holder.current().connectorStatuses(signal),
    connectorTasksMax: async (signal) => await holder.current().connectorTasksMax(signal),
    sinkConfigs: async (signal) => await holder.current().sinkConfigs(signal),
    restartConnector: async (name, signal) => await holder.current().restartConnector(name, signal),
    close: holder.close,
  }
  // Sink progress reads the connectors check's verdicts: which connectors are selected and sinks.
  let verdicts: readonly ConnectorVerdict[] | undefined
  const sink = { ...metrics, connectors: (v: readonly ConnectorVerdict[] | undefined) => { if (v !== undefined) verdicts = v; metrics.connectors(v) } }
  const checkDeps = {
    client, target, now: monotonic, timeoutMs: config.timeout, kafkaWaitMs: target.kafkaWaitMs, logger, sink,
    ...(deps.workerDial !== undefined && { dial: deps.workerDial }),
    ...(deps.healthWaitMs !== undefined && { healthWaitMs: deps.healthWaitMs }),
  }
  const files = [config.connectPasswordFile, config.connectHeadersFile, config.connectTlsCaFile, config.connectTlsCertFile, config.connectTlsKeyFile].some((f) => f !== '')
  const rotation = files
    ? [rotationCheck({
        name: 'connect-files',
        initial: target,
        reread: () => {
          const next = config.reread().connect ?? target
          checkTlsMaterial(next.tls, '--connect-tls-*-file')
          return next
        },
        swap: (next) => { holder.swap(make(next)) },
        logger,
      })]
    : []
  const progress = target.progress
  const readyz = [CHECK_CONNECT_READY, CHECK_CONNECTORS]
  const closers: Array<() => Promise<void>> = [client.close]
  const extra = []
  if (progress !== undefined) {
    const pm = createProgressMetrics(metricPrefix, registry, target.metricsMaxConnectors)
    // kafkajs is loaded here, and only here: a Connect sidecar without sink progress never loads it.
    const offsets = deps.offsetsClient ?? createKafkajsOffsetsClient({ access: progress.access, timeoutMs: config.timeout, logger, onRequest: pm.request })
    closers.push(offsets.close)
    extra.push(progressCheck({ offsets, client, connectors: () => verdicts, target: progress, now: monotonic, timeoutMs: config.timeout, sink: pm.observe }))
    // K samples are K - 1 sample periods apart: that is the time a full window covers.
    const span = (progress.window - 1) * progress.every * config.interval
    if (span < MIN_WINDOW_SPAN_MS) {
      logger.warn({ windowSpanMs: span }, `sink progress: the window spans ${formatDuration(span)}, less than twice Connect's default offset.flush.interval.ms (60s): ` +
        'a healthy sink that commits once a minute can read STALLED; raise --connect-progress-window or --connect-progress-every unless the workers commit more often')
    }
    // Opt-in: one slow downstream system must not take every Connect pod out of its Service at once.
    if (progress.policy === 'readiness') readyz.push(CHECK_SINK_PROGRESS)
  }
  return {
    checks: [...connectWorkerChecks(checkDeps), connectorsCheck(checkDeps), ...extra, ...rotation],
    // Liveness must not hang off connector state: restarting a worker does not fix a FAILED task.
    // Startup is liveness's own check, not readiness's: a worker that starts while Kafka is down
    // stays "starting" (Connect's /health 503) until Kafka returns, and a startup probe waiting
    // for ready would kill it every failureThreshold × period, a restart loop through the outage.
    probes: { livez: [CHECK_CONNECT_WORKER], readyz, startupz: [CHECK_CONNECT_WORKER] },
    close: async () => { await Promise.all(closers.map(async (c) => { await c() })) },
    routes: (app, ctx) => { connectorRoutes(app, ctx.runner, progress === undefined ? undefined : CHECK_SINK_PROGRESS) },
  }
}

export const connectTarget: Target<ConnectDeps> = { name: 'connect', reasons: CONNECT_REASONS, build }
