import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Lifecycle } from '../core/probes'
import type { StopGate } from '../core/target'
import { prestopRoute } from '../core/prestop'
import type { ControllerPrestopMetrics } from './metrics'
import { stopSafety } from './rules'
import type { QuorumViewStore } from './view'

export interface ControllerPrestopDeps {
  /** `/prestop`, or `/controller/prestop` when the broker's /prestop is served too (a combined node). */
  readonly path: string
  readonly store: QuorumViewStore
  readonly nodeId: number
  readonly boundMs: number
  readonly metrics: ControllerPrestopMetrics
  readonly lifecycle: Lifecycle
  readonly timeoutMs: number
  readonly token: () => string | undefined
  readonly logger: Logger
}

/**
 * The quorum rule for stopping this controller, judged on views made after `since` only: the
 * caught-up bound (2 s) is shorter than --interval (5 s), so a view from before the call could
 * still show as caught up a voter that died since, and one more stop would lose the majority.
 */
export function controllerStopGate (store: QuorumViewStore, nodeId: number, boundMs: number): StopGate {
  return {
    judge: (since) => {
      const q = store.latest
      if (store.updatedAt === undefined || store.updatedAt < since) return { safe: false, pending: true, message: 'waiting for a quorum view newer than this call (at most one --interval)' }
      if (q === undefined) return { safe: false, message: `no quorum view: ${store.lastError ?? 'the quorum check has not run yet'}` }
      const verdict = stopSafety(q, nodeId, boundMs)
      return { safe: verdict.safe, message: verdict.safe ? `safe to stop controller ${nodeId}: ${verdict.message}` : verdict.message }
    },
    next: async (signal) => { await store.next(signal) },
  }
}

/**
 * GET /prestop on a controller (core/prestop.ts serves it): it waits until stopping this
 * controller would still leave a caught-up majority of voters (this node counted as gone).
 */
export function controllerPrestopRoutes (app: FastifyInstance, d: ControllerPrestopDeps): void {
  prestopRoute(app, {
    path: d.path,
    subject: 'controller',
    gates: [controllerStopGate(d.store, d.nodeId, d.boundMs)],
    nothingToWaitFor: '',
    // One gate always: never "not applicable".
    record: (outcome, seconds) => { if (outcome !== 'not_applicable') d.metrics.prestop(outcome, seconds) },
    lifecycle: d.lifecycle,
    timeoutMs: d.timeoutMs,
    token: d.token,
    logger: d.logger,
  })
}
