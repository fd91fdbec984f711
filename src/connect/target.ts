import type { ConnectTarget } from '../config/connect-target'
import { checkTlsMaterial } from '../config/read-option'
import { rotationCheck, swappable } from '../core/rotation'
import type { Target, TargetContext, TargetParts } from '../core/target'
import { CHECK_CONNECTORS, CHECK_CONNECT_READY, CHECK_CONNECT_WORKER, connectWorkerChecks, connectorsCheck } from './checks'
import type { ConnectClient } from './client'
import { createConnectMetrics } from './metrics'
import { CONNECT_REASONS } from './reasons'
import { connectorRoutes } from './routes'
import { createUndiciConnectClient } from './undici-lazy'
import type { Dial } from './departed'

/** Test seam of the Connect target; production uses undici. */
export interface ConnectDeps {
  readonly connectClient?: ConnectClient
  /** How other workers' REST addresses are tried (departed.ts); a TCP connect by default. */
  readonly workerDial?: Dial
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
  const holder = swappable(deps.connectClient ?? make(target), config.timeout * 2)
  const client: ConnectClient = {
    health: async (signal) => await holder.current().health(signal),
    connectorStatuses: async (signal) => await holder.current().connectorStatuses(signal),
    connectorTasksMax: async (signal) => await holder.current().connectorTasksMax(signal),
    restartConnector: async (name, signal) => await holder.current().restartConnector(name, signal),
    close: holder.close,
  }
  const checkDeps = { client, target, now: monotonic, timeoutMs: config.timeout, logger, sink: metrics, ...(deps.workerDial !== undefined && { dial: deps.workerDial }) }
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
  return {
    checks: [...connectWorkerChecks(checkDeps), connectorsCheck(checkDeps), ...rotation],
    // Liveness must not hang off connector state: restarting a worker does not fix a FAILED task.
    probes: { livez: [CHECK_CONNECT_WORKER], readyz: [CHECK_CONNECT_READY, CHECK_CONNECTORS], startupz: [CHECK_CONNECT_READY] },
    close: async () => { await client.close() },
    routes: (app, ctx) => { connectorRoutes(app, ctx.runner) },
  }
}

export const connectTarget: Target<ConnectDeps> = { name: 'connect', reasons: CONNECT_REASONS, build }
