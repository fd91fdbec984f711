import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { QuorumState } from '../kafka/seam'
import { caughtUpVoters, lagOf } from './rules'

export const CONTROLLER_PRESTOP_OUTCOMES = ['safe', 'timeout', 'aborted'] as const
export type ControllerPrestopOutcome = typeof CONTROLLER_PRESTOP_OUTCOMES[number]

export interface QuorumMetrics {
  /**
   * From each DescribeQuorum answer, as seen by a controller (`role` controller) or a broker
   * (`role` broker); undefined (a failed run) removes the series rather than keep stale numbers.
   */
  set: (role: 'controller' | 'broker', node: number | undefined, q: QuorumState | undefined) => void
}

/**
 * The KRaft quorum as the leader describes it. Every agent that asks reports the same
 * quorum-wide numbers, labelled with its own role and node id: aggregate with max(), not sum().
 * The lag series are this node's own, and only when it is in the quorum (a voter or an observer).
 */
export function createQuorumMetrics (prefix: string, registry: Registry, boundMs: number): QuorumMetrics {
  const registers = [registry]
  const labelNames = ['role', 'node']
  const gauge = (name: string, help: string): Gauge => new Gauge({ name: `${prefix}${name}`, help, labelNames, registers })
  const quorumWide: Array<[Gauge, (q: QuorumState) => number]> = [
    [gauge('quorum_leader_id', 'Node id of the KRaft quorum leader (the active controller); -1: none.'), (q) => q.leaderId],
    [gauge('quorum_leader_epoch', 'Epoch of the KRaft quorum leader.'), (q) => q.leaderEpoch],
    [gauge('quorum_high_watermark', 'High watermark of the metadata log (__cluster_metadata), in records.'), (q) => q.highWatermark],
    [gauge('quorum_voters', 'Voters of the KRaft quorum.'), (q) => q.voters.length],
    [gauge('quorum_caught_up_voters', 'Voters whose last caught-up time is within --controller-caught-up-bound of the leader\'s (the leader included).'), (q) => caughtUpVoters(q, boundMs).length],
  ]
  const lagRecords = gauge('quorum_lag_records', 'Records this node\'s metadata log is behind the leader\'s log end.')
  const lagSeconds = gauge('quorum_lag_seconds', 'Time since this node was last caught up with the leader, by the leader\'s clock; absent when it never was.')
  return {
    set (role, node, q) {
      const labels = { role, node: node === undefined ? '' : String(node) }
      for (const [g, value] of quorumWide) {
        g.remove(labels)
        if (q !== undefined) g.set(labels, value(q))
      }
      lagRecords.remove(labels)
      lagSeconds.remove(labels)
      const me = q === undefined || node === undefined ? undefined : [...q.voters, ...q.observers].find((r) => r.nodeId === node)
      if (q === undefined || me === undefined) return
      const lag = lagOf(q, me)
      lagRecords.set(labels, lag.records)
      if (lag.ms !== undefined) lagSeconds.set(labels, lag.ms / 1000)
    },
  }
}

export interface ControllerPrestopMetrics {
  prestop: (outcome: ControllerPrestopOutcome, seconds: number) => void
}

export function createControllerPrestopMetrics (prefix: string, registry: Registry): ControllerPrestopMetrics {
  const waits = new Counter({
    name: `${prefix}controller_prestop_waits_total`,
    help: 'GET /prestop calls on a controller by outcome: safe (answered once a caught-up majority of voters remains without it), timeout (--prestop-timeout ran out), aborted (the caller hung up or the agent shut down first).',
    labelNames: ['outcome'],
    registers: [registry],
  })
  // Every outcome at 0 from the start, so the first timeout shows in increase().
  for (const outcome of CONTROLLER_PRESTOP_OUTCOMES) waits.inc({ outcome }, 0)
  const waited = new Histogram({
    name: `${prefix}controller_prestop_wait_seconds`,
    help: 'How long GET /prestop on a controller waited before answering.',
    buckets: [0.1, 1, 5, 15, 30, 60, 120, 300, 600],
    registers: [registry],
  })
  return {
    prestop (outcome, seconds) {
      waits.inc({ outcome })
      waited.observe(seconds)
    },
  }
}
