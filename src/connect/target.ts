import type { Target, TargetContext, TargetParts } from '../core/target'
import { CHECK_CONNECTORS, CHECK_CONNECT_READY, CHECK_CONNECT_WORKER, connectWorkerChecks, connectorsCheck } from './checks'
import type { ConnectClient } from './client'
import { createConnectMetrics } from './metrics'
import { CONNECT_REASONS } from './reasons'
import { connectorRoutes } from './routes'
import { createUndiciConnectClient } from './undici-lazy'

/** Test seam of the Connect target; production uses undici. */
export interface ConnectDeps {
  readonly connectClient?: ConnectClient
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
  const client = deps.connectClient ?? createUndiciConnectClient({
    target,
    timeoutMs: config.timeout,
    userAgent: `kafka-healthz/${version}`,
    onRequest: metrics.observeRequest,
  })
  const checkDeps = { client, target, now: monotonic, timeoutMs: config.timeout, logger, sink: metrics }
  return {
    checks: [...connectWorkerChecks(checkDeps), connectorsCheck(checkDeps)],
    // Liveness must not hang off connector state: restarting a worker does not fix a FAILED task.
    probes: { livez: [CHECK_CONNECT_WORKER], readyz: [CHECK_CONNECT_READY, CHECK_CONNECTORS], startupz: [CHECK_CONNECT_READY] },
    close: async () => { await client.close() },
    routes: (app, ctx) => { connectorRoutes(app, ctx.runner) },
  }
}

export const connectTarget: Target<ConnectDeps> = { name: 'connect', reasons: CONNECT_REASONS, build }
