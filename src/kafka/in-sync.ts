import { LatestStore } from '../core/latest'
import { BrokerError, type BrokerClient, type PartitionState } from './client'
import { fail, pass, type Check, type CheckResult } from '../core/check'
import { brokerFailure } from './checks'
import { notExcluded } from '../core/glob'

export const CHECK_IN_SYNC = 'in-sync'

/** What one in-sync run saw of the cluster: the source of /prestop and the cluster metrics. */
export interface ClusterView {
  readonly brokerId: number
  readonly partitions: readonly PartitionState[]
  /** min.insync.replicas per topic; topics missing here use `defaultMinIsr`. */
  readonly minIsr: ReadonlyMap<string, number>
  readonly defaultMinIsr: number
  /** Where minIsr came from: the broker's topic configs, or the option (the broker would not say). */
  readonly minIsrSource: 'broker' | 'option'
}

export const minIsrOf = (view: ClusterView, topic: string): number => view.minIsr.get(topic) ?? view.defaultMinIsr

/** The cluster as seen from this broker: metrics only, never readiness (it would take every pod down at once). */
export interface ClusterCounts {
  readonly partitions: number
  readonly underReplicated: number
  readonly offline: number
  readonly underMinIsr: number
  /** Partitions this broker leads. */
  readonly led: number
  /** Partitions this broker replicates, and those where it is out of the ISR. */
  readonly replicated: number
  readonly outOfSync: number
}

export function clusterCounts (view: ClusterView): ClusterCounts {
  let underReplicated = 0
  let offline = 0
  let underMinIsr = 0
  let led = 0
  let replicated = 0
  let outOfSync = 0
  for (const p of view.partitions) {
    if (p.leader < 0) offline++
    if (p.isr.length < p.replicas.length) underReplicated++
    if (p.isr.length < minIsrOf(view, p.topic)) underMinIsr++
    if (p.leader === view.brokerId) led++
    if (p.replicas.includes(view.brokerId)) {
      replicated++
      if (!p.isr.includes(view.brokerId)) outOfSync++
    }
  }
  return { partitions: view.partitions.length, underReplicated, offline, underMinIsr, led, replicated, outOfSync }
}

/**
 * Partitions that stopping this broker would leave below min.insync.replicas, and that waiting
 * can still help: it is in their ISR, the ISR has no member to spare (at or below the minimum),
 * and a replica outside the ISR could still catch up. Those already short of replicas for good
 * (every replica in the ISR, as with replication factor = min.insync.replicas) cannot be helped
 * by waiting: `stuck` lists them so /prestop can say so, without holding the stop for them.
 */
export function stopRisk (view: ClusterView, included: (topic: string) => boolean): { unsafe: PartitionState[], stuck: PartitionState[] } {
  const unsafe: PartitionState[] = []
  const stuck: PartitionState[] = []
  for (const p of view.partitions) {
    if (!included(p.topic) || !p.isr.includes(view.brokerId) || p.isr.length > minIsrOf(view, p.topic)) continue
    if (p.replicas.length > p.isr.length) unsafe.push(p); else stuck.push(p)
  }
  return { unsafe, stuck }
}

export const partitionName = (p: PartitionState): string => `${p.topic}-${p.partition}`

/** At most `n` names, then "+k more": messages stay one line with 10,000 partitions. */
export function listSome (names: readonly string[], n = 5): string {
  return names.slice(0, n).join(', ') + (names.length > n ? `, +${names.length - n} more` : '')
}

/** The latest cluster view, and a way to wait for the next one (GET /prestop re-evaluates on each). */
export class ClusterViewStore extends LatestStore<ClusterView> {}

export interface InSyncDeps {
  readonly client: BrokerClient
  readonly address: string
  readonly brokerId: number
  readonly excludeTopics: readonly string[]
  readonly startupGraceMs: number
  readonly defaultMinIsr: number
  /** Monotonic clock; the grace counts from when the check is built (the agent's start). */
  readonly now: () => number
  readonly store: ClusterViewStore
  /** Topic configs change rarely: describe them at most this often (and retry a refusal no sooner). */
  readonly configTtlMs?: number
}

const CONFIG_TTL_MS = 60_000

/**
 * in-sync (readiness): this broker is in the ISR of every partition it replicates, topics left
 * out by --in-sync-exclude-topics aside. A broker restarted by a rolling update fails it until it
 * has caught up, so the StatefulSet waits before it stops the next one; otherwise partitions drop
 * below min.insync.replicas and acks=all producers stop.
 */
export function inSyncCheck (deps: InSyncDeps): Check {
  const included = notExcluded(deps.excludeTopics)
  const startedAt = deps.now()
  const ttl = deps.configTtlMs ?? CONFIG_TTL_MS
  let configs: { at: number, minIsr: ReadonlyMap<string, number>, source: 'broker' | 'option', topics: ReadonlySet<string> } | undefined

  async function minIsr (topics: readonly string[], signal: AbortSignal): Promise<NonNullable<typeof configs>> {
    const now = deps.now()
    const cached = configs
    // Refreshed when old, or when a topic appeared since (its config is unknown).
    if (cached !== undefined && now - cached.at < ttl && topics.every((t) => cached.topics.has(t))) return cached
    try {
      configs = { at: now, minIsr: await deps.client.minInsyncReplicas(topics, signal), source: 'broker', topics: new Set(topics) }
    } catch (err) {
      // A deadline is the run's failure; a refusal (ACL, an old or mock broker) means the option.
      if (err instanceof BrokerError && (err.kind === 'aborted' || err.kind === 'unreachable')) throw err
      configs = { at: now, minIsr: new Map(), source: 'option', topics: new Set(topics) }
    }
    return configs
  }

  return {
    name: CHECK_IN_SYNC,
    run: async (signal): Promise<CheckResult> => {
      let view: ClusterView
      try {
        const meta = await deps.client.topicsMetadata(signal)
        const topics = [...new Set(meta.partitions.map((p) => p.topic))]
        const cfg = await minIsr(topics, signal)
        view = { brokerId: deps.brokerId, partitions: meta.partitions, minIsr: cfg.minIsr, defaultMinIsr: deps.defaultMinIsr, minIsrSource: cfg.source }
      } catch (err) {
        const result = brokerFailure(deps.address, err)
        deps.store.update(undefined, `${result.reason}: ${result.message}`)
        return result
      }
      deps.store.update(view)

      const mine = view.partitions.filter((p) => included(p.topic) && p.replicas.includes(deps.brokerId))
      const behind = mine.filter((p) => !p.isr.includes(deps.brokerId))
      const details = { brokerId: deps.brokerId, replicated: mine.length, outOfSync: behind.slice(0, 50).map(partitionName), minIsrSource: view.minIsrSource }
      if (behind.length === 0) {
        return pass(`broker ${deps.brokerId} is in the ISR of all ${mine.length} partitions it replicates`, details)
      }
      const summary = `broker ${deps.brokerId} is out of the ISR of ${behind.length} of ${mine.length} partitions it replicates: ${listSome(behind.map(partitionName))}`
      const graceLeft = deps.startupGraceMs - (deps.now() - startedAt)
      if (graceLeft > 0) return pass(`startup grace (${Math.ceil(graceLeft / 1000)}s left): ${summary}`, details)
      return fail('BROKER_NOT_IN_SYNC', summary, details)
    },
  }
}
