import { fail, pass, type Check, type Reason } from '../core/check'
import { BrokerError, type QuorumClient } from '../kafka/seam'
import type { QuorumMetrics } from './metrics'
import { caughtUpVoters } from './rules'

export const CHECK_QUORUM_VIEW = 'quorum-view'
/** What the broker-side view fails with; it is in no probe, so these reach /status and metrics only. */
export const QUORUM_VIEW_REASONS: readonly Reason[] = ['NO_QUORUM_LEADER', 'QUORUM_LEADER_UNREACHABLE', 'CONTROLLER_AUTH', 'CONTROLLER_TLS', 'CONTROLLER_CLIENT_ERROR']

/**
 * quorum-view (--quorum-metrics, on a broker): the quorum as the broker's forwarded DescribeQuorum
 * shows it, for the quorum metrics. Never wired to a probe: the quorum is cluster-wide, and
 * cluster-wide readiness would take every broker out of its Service at once.
 */
export function quorumViewCheck ({ client, address, brokerId, boundMs, metrics }: { client: QuorumClient, address: string, brokerId: number | undefined, boundMs: number, metrics: QuorumMetrics }): Check {
  return {
    name: CHECK_QUORUM_VIEW,
    reasons: QUORUM_VIEW_REASONS,
    run: async (signal) => {
      let q
      try {
        q = await client.describeQuorum(signal)
      } catch (err) {
        metrics.set('broker', brokerId, undefined)
        const kind = err instanceof BrokerError ? err.kind : 'client'
        const reason = kind === 'auth' ? 'CONTROLLER_AUTH' : kind === 'tls' ? 'CONTROLLER_TLS' : kind === 'client' ? 'CONTROLLER_CLIENT_ERROR' : 'QUORUM_LEADER_UNREACHABLE'
        return fail(reason, `broker ${address} did not describe the quorum: ${err instanceof Error ? err.message : String(err)}`)
      }
      metrics.set('broker', brokerId, q)
      if (q.leaderId < 0) return fail('NO_QUORUM_LEADER', `the quorum has no leader (epoch ${q.leaderEpoch})`)
      return pass(`quorum leader ${q.leaderId}, epoch ${q.leaderEpoch}; ${caughtUpVoters(q, boundMs).length} of ${q.voters.length} voters caught up`)
    },
  }
}
