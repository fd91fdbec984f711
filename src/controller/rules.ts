import { fail, pass, type CheckResult } from '../core/check'
import type { QuorumState, ReplicaState } from '../kafka/seam'

/**
 * The quorum rules, as plain functions of one DescribeQuorum answer (from the leader, whose wall
 * clock every timestamp in it is on). A voter is caught up when the leader's lastCaughtUp time
 * minus its own is under the bound (controller.quorum.fetch.timeout.ms, 2 s by default), as in
 * Strimzi's rule for rolling controllers; the leader always is.
 */

/** The leader's own lastCaughtUp time: "now" on the leader's clock. */
function reference (q: QuorumState): number {
  const leader = q.voters.find((v) => v.nodeId === q.leaderId)
  return leader?.lastCaughtUpTimestamp ?? Math.max(-1, ...q.voters.map((v) => v.lastCaughtUpTimestamp))
}

function leaderEnd (q: QuorumState): number {
  return q.voters.find((v) => v.nodeId === q.leaderId)?.logEndOffset ?? q.highWatermark
}

export interface Lag {
  /** Records behind the leader's log end (0 or more). */
  readonly records: number
  /** How long since it was last caught up, by the leader's clock; undefined: never (or unknown). */
  readonly ms: number | undefined
}

/** How far `replica` is behind the leader. */
export function lagOf (q: QuorumState, replica: ReplicaState): Lag {
  if (replica.nodeId === q.leaderId) return { records: 0, ms: 0 }
  const ms = replica.lastCaughtUpTimestamp < 0 ? undefined : Math.max(0, reference(q) - replica.lastCaughtUpTimestamp)
  return { records: Math.max(0, leaderEnd(q) - replica.logEndOffset), ms }
}

export function isCaughtUp (q: QuorumState, replica: ReplicaState, boundMs: number): boolean {
  const { ms } = lagOf(q, replica)
  return ms !== undefined && ms < boundMs
}

/** The ids of the voters that are caught up. */
export function caughtUpVoters (q: QuorumState, boundMs: number): number[] {
  return q.voters.filter((v) => isCaughtUp(q, v, boundMs)).map((v) => v.nodeId)
}

export function majorityOf (voters: number): number {
  return Math.floor(voters / 2) + 1
}

const ids = (list: readonly ReplicaState[]): string => list.length === 0 ? 'none' : list.map((r) => r.nodeId).join(',')
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)}s`

/** Facts for /status: the quorum as the leader sees it, each replica with its lag. */
export function quorumDetails (q: QuorumState, boundMs: number): Record<string, unknown> {
  const replica = (r: ReplicaState): Record<string, unknown> => {
    const lag = lagOf(q, r)
    return { nodeId: r.nodeId, logEndOffset: r.logEndOffset, lagRecords: lag.records, lagMs: lag.ms ?? null, caughtUp: isCaughtUp(q, r, boundMs) }
  }
  return { leaderId: q.leaderId, leaderEpoch: q.leaderEpoch, highWatermark: q.highWatermark, caughtUpBoundMs: boundMs, voters: q.voters.map(replica), observers: q.observers.map(replica) }
}

/**
 * The quorum check's verdict for controller `nodeId`: the quorum has a leader, this node is a
 * voter, and it is caught up.
 */
export function judgeQuorum (q: QuorumState, nodeId: number, boundMs: number): CheckResult {
  const details = quorumDetails(q, boundMs)
  if (q.leaderId < 0) return fail('NO_QUORUM_LEADER', `the quorum has no leader (epoch ${q.leaderEpoch})`, details)
  const me = q.voters.find((v) => v.nodeId === nodeId)
  if (me === undefined) {
    const observer = q.observers.some((o) => o.nodeId === nodeId)
    return fail('NOT_A_VOTER', `controller ${nodeId} is ${observer ? 'an observer of the quorum' : 'not in the quorum'}, not a voter (voters: ${ids(q.voters)})`, details)
  }
  const caught = caughtUpVoters(q, boundMs)
  const summary = `leader ${q.leaderId}, epoch ${q.leaderEpoch}; ${caught.length} of ${q.voters.length} voters caught up`
  if (!isCaughtUp(q, me, boundMs)) {
    const lag = lagOf(q, me)
    const behind = lag.ms === undefined ? 'has not caught up with the leader since it became leader' : `was last caught up ${seconds(lag.ms)} ago`
    return fail('CONTROLLER_NOT_CAUGHT_UP', `controller ${nodeId} ${behind}, ${lag.records} records behind (bound ${seconds(boundMs)}; ${summary})`, details)
  }
  return pass(`controller ${nodeId} is a caught-up voter (${nodeId === q.leaderId ? 'the leader; ' : ''}${summary})`, details)
}

export interface StopSafety {
  readonly safe: boolean
  readonly message: string
}

/**
 * Whether stopping controller `nodeId` leaves a caught-up majority of voters: counted without
 * it, whatever its own state. An observer's stop costs the quorum nothing. A single voter can
 * never be stopped safely and there is nothing to wait for: that is said, and allowed.
 */
export function stopSafety (q: QuorumState, nodeId: number, boundMs: number): StopSafety {
  const isVoter = q.voters.some((v) => v.nodeId === nodeId)
  if (!isVoter && q.observers.some((o) => o.nodeId === nodeId)) return { safe: true, message: `controller ${nodeId} is an observer, not a voter: stopping it leaves the quorum as it is` }
  // In neither list: most likely a wrong --kafka-controller-id, and this pod may well be a voter
  // under its real id. Safe would let every drain through; wait (bounded) and say why.
  if (!isVoter) return { safe: false, message: `controller ${nodeId} is neither a voter nor an observer of the quorum (voters ${q.voters.map((v) => v.nodeId).join(',')}): check --kafka-controller-id` }
  const need = majorityOf(q.voters.length)
  if (q.voters.length === 1) return { safe: true, message: `controller ${nodeId} is the only voter: the quorum is down while it restarts whatever we wait for` }
  if (q.leaderId < 0) return { safe: false, message: `the quorum has no leader; stopping controller ${nodeId} could keep it from electing one` }
  const others = caughtUpVoters(q, boundMs).filter((id) => id !== nodeId)
  const listed = others.length === 0 ? 'none' : others.join(',')
  if (others.length >= need) {
    return { safe: true, message: `without controller ${nodeId}, ${others.length} of ${q.voters.length} voters are caught up (${listed}); a majority is ${need}` }
  }
  const lagging = q.voters.filter((v) => v.nodeId !== nodeId && !others.includes(v.nodeId)).map((v) => v.nodeId).join(',')
  // With 2 voters the majority needs both, so this waits out --prestop-timeout whatever happens.
  const behind = lagging === '' ? `; with ${q.voters.length} voters a majority needs this one too` : `; not caught up: ${lagging}`
  return { safe: false, message: `without controller ${nodeId}, only ${others.length} of ${q.voters.length} voters are caught up (${listed}${behind}); a majority is ${need}` }
}
