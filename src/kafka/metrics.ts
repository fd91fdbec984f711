import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { ClusterCounts } from './in-sync'

export const PRESTOP_OUTCOMES = ['safe', 'timeout', 'aborted', 'not_applicable'] as const
export type PrestopOutcome = typeof PRESTOP_OUTCOMES[number]

export interface BrokerCountMetric {
  setBrokerCount: (count: number | undefined, clusterId?: string | null) => void
}

/** The brokers the local broker's metadata lists (the registered check's answer). */
export function createBrokerCountMetric (prefix: string, registry: Registry): BrokerCountMetric {
  const brokers = new Gauge({
    name: `${prefix}kafka_brokers`,
    help: 'Brokers listed in the local broker\'s metadata at the last successful run; absent when it did not answer.',
    // A label, even a constant one, lets reset() remove the series instead of reporting 0.
    labelNames: ['cluster_id'],
    registers: [registry],
  })
  return {
    setBrokerCount (count, clusterId) {
      brokers.reset()
      if (count !== undefined) brokers.set({ cluster_id: clusterId ?? '' }, count)
    },
  }
}

export interface ClusterMetrics {
  /** From each in-sync run; undefined (a failed run) removes the series rather than reporting stale numbers. */
  setCounts: (brokerId: number, counts: ClusterCounts | undefined) => void
  prestop: (outcome: PrestopOutcome, seconds: number) => void
}

/**
 * The cluster as this broker's metadata shows it: metrics only, never readiness (cluster-wide
 * readiness takes every pod out at once). Every broker's agent reports the same cluster-wide
 * counts, labelled with its own broker id: aggregate with max(), not sum().
 */
export function createClusterMetrics (prefix: string, registry: Registry): ClusterMetrics {
  const registers = [registry]
  const gauge = (name: string, help: string): Gauge => new Gauge({ name: `${prefix}${name}`, help, labelNames: ['broker'], registers })
  const gauges: Array<[Gauge, (c: ClusterCounts) => number]> = [
    [gauge('kafka_partitions', 'Partitions in the cluster metadata (all topics).'), (c) => c.partitions],
    [gauge('kafka_under_replicated_partitions', 'Partitions whose ISR is smaller than their replica set, cluster-wide.'), (c) => c.underReplicated],
    [gauge('kafka_offline_partitions', 'Partitions without a leader, cluster-wide.'), (c) => c.offline],
    [gauge('kafka_under_min_isr_partitions', 'Partitions whose ISR is below min.insync.replicas (acks=all producers fail), cluster-wide.'), (c) => c.underMinIsr],
    [gauge('kafka_leader_partitions', 'Partitions this broker leads.'), (c) => c.led],
    [gauge('kafka_out_of_sync_partitions', 'Partitions this broker replicates but is not in the ISR of (what the in-sync check fails on).'), (c) => c.outOfSync],
  ]
  const waits = new Counter({
    name: `${prefix}prestop_waits_total`,
    help: 'GET /prestop calls by outcome: safe (answered once stopping was safe), timeout (--prestop-timeout ran out), aborted (the caller hung up or the agent shut down first), not_applicable (no broker id or in-sync check).',
    labelNames: ['outcome'],
    registers,
  })
  // Every outcome at 0 from the start: "increase(...{outcome=\"timeout\"}[30m]) > 0" must see the
  // first timeout, and the pod is usually gone before a second one.
  for (const outcome of PRESTOP_OUTCOMES) waits.inc({ outcome }, 0)
  const waited = new Histogram({
    name: `${prefix}prestop_wait_seconds`,
    help: 'How long GET /prestop waited before answering.',
    buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 600],
    registers,
  })
  return {
    setCounts (brokerId, counts) {
      for (const [g, value] of gauges) {
        g.reset()
        if (counts !== undefined) g.set({ broker: String(brokerId) }, value(counts))
      }
    },
    prestop (outcome, seconds) {
      waits.inc({ outcome })
      waited.observe(seconds)
    },
  }
}
