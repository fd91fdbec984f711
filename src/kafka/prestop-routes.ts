import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { notExcluded } from '../core/glob'
import type { Lifecycle } from '../core/probes'
import { prestopRoute } from '../core/prestop'
import type { StopGate } from '../core/target'
import type { ClusterMetrics } from './metrics'
import { listSome, minIsrOf, partitionName, stopRisk, type ClusterView, type ClusterViewStore } from './in-sync'
/**
 * GET /prestop on a broker (core/prestop.ts serves it): stopping this broker must take no
 * partition below min.insync.replicas (it is in no ISR that has no member to spare). The rule
 * reads the in-sync check's cluster view and re-decides at each new run; it never asks the
 * broker itself. On a combined node the controller's quorum rule (a StopGate) must hold too.
 */
export interface PrestopDeps {
  /** The in-sync check's cluster view; undefined without it (no broker id): nothing to wait for. */
  readonly store: ClusterViewStore | undefined
  readonly metrics: ClusterMetrics
  readonly lifecycle: Lifecycle
  readonly excludeTopics: readonly string[]
  readonly timeoutMs: number
  /** The shared token the caller must send, read now; undefined: none asked for. */
  readonly token: () => string | undefined
  readonly logger: Logger
  /** Other targets' conditions (a combined node's controller quorum): all must hold too. */
  readonly gates?: readonly StopGate[]
}

export function prestopRoutes (app: FastifyInstance, { store, metrics, lifecycle, excludeTopics, timeoutMs, token, logger, gates = [] }: PrestopDeps): void {
  const own = store === undefined
    // No partitions to judge, but another target's rule: this node may stop once that holds.
    ? (gates.length === 0 ? [] : [{ judge: () => ({ safe: true, message: 'safe to stop this node (no partitions judged: the in-sync check is off)' }), next: async () => { await new Promise(() => {}) } }])
    : [partitionsGate(store, notExcluded(excludeTopics))]
  prestopRoute(app, {
    path: '/prestop',
    subject: 'broker',
    gates: [...own, ...gates],
    nothingToWaitFor: 'nothing to wait for: the in-sync check is off (it needs --kafka-broker-id)',
    record: metrics.prestop,
    lifecycle,
    timeoutMs,
    token,
    logger,
  })
}

/** The broker's own rule, on the in-sync check's last cluster view. */
function partitionsGate (store: ClusterViewStore, included: (topic: string) => boolean): StopGate {
  return {
    judge: () => {
      const view = store.latest
      if (view === undefined) return { safe: false, message: `no cluster view: ${store.lastError ?? 'the in-sync check has not run yet'}` }
      const risk = stopRisk(view, included)
      if (risk.unsafe.length > 0) return { safe: false, message: describeUnsafe(view, risk.unsafe) }
      const note = risk.stuck.length === 0
        ? ''
        : `; ${risk.stuck.length} partition${risk.stuck.length === 1 ? ' has' : 's have'} no replica to spare and none to wait for (replication factor = min.insync.replicas), so stopping takes ${risk.stuck.length === 1 ? 'it' : 'them'} below the minimum anyway: ${listSome(risk.stuck.map(partitionName))}`
      return { safe: true, message: `safe to stop broker ${view.brokerId}: no partition it is in the ISR of is at min.insync.replicas with a replica still to catch up`, note }
    },
    next: async (signal) => { await store.next(signal) },
  }
}

function describeUnsafe (view: ClusterView, unsafe: ClusterView['partitions']): string {
  const names = unsafe.map((p) => `${partitionName(p)} (ISR ${p.isr.join(',')}; min ${minIsrOf(view, p.topic)})`)
  return `stopping broker ${view.brokerId} would leave ${unsafe.length} partition${unsafe.length === 1 ? '' : 's'} below min.insync.replicas: ${listSome(names)}`
}
