import { fail, pass, type Check, type CheckResult, type Reason } from '../core/check'
import { BrokerError, type BrokerErrorKind, type ControllerEndpoint, type QuorumClient } from '../kafka/seam'
import { judgeQuorum } from './rules'
import type { QuorumViewStore } from './view'

export const CHECK_CONTROLLER_REACHABLE = 'controller-reachable'
export const CHECK_QUORUM = 'quorum'

const REASON_BY_KIND: Record<BrokerErrorKind, Exclude<Reason, 'OK'>> = {
  unreachable: 'CONTROLLER_UNREACHABLE',
  auth: 'CONTROLLER_AUTH',
  tls: 'CONTROLLER_TLS',
  protocol: 'CONTROLLER_PROTOCOL_ERROR',
  client: 'CONTROLLER_CLIENT_ERROR',
  // The runner reports TIMEOUT itself when it aborts; this only shows if a check outlives it.
  aborted: 'TIMEOUT',
}

/** A failure of the local controller, or of our own client (kind 'client': never the controller's fault). */
export function controllerFailure (address: string, err: unknown): CheckResult {
  const kind = err instanceof BrokerError ? err.kind : 'client'
  return fail(REASON_BY_KIND[kind], `controller ${address}: ${err instanceof Error ? err.message : String(err)}`)
}

/**
 * controller-reachable (liveness): the controller in this pod answers ApiVersions on its own
 * listener. As for the broker, a TLS or auth refusal, or our own client failing, is an answer
 * about the agent, not the controller: it passes here and readiness reports it.
 */
export function controllerReachableCheck ({ client, address }: { client: QuorumClient, address: string }): Check {
  return {
    name: CHECK_CONTROLLER_REACHABLE,
    run: async (signal) => {
      try {
        await client.ping(signal)
        return pass(`controller ${address} answers the Kafka protocol`)
      } catch (err) {
        const r = controllerFailure(address, err)
        if (err instanceof BrokerError && (err.kind === 'tls' || err.kind === 'auth')) return pass(`controller ${address} answers, but refused the agent's ${err.kind === 'tls' ? 'TLS handshake' : 'credentials'}: ${err.message}`)
        if (!(err instanceof BrokerError) || err.kind === 'client') return pass(`controller state unknown: ${r.reason}: ${r.message} (readiness reports it)`)
        return r
      }
    },
  }
}

export interface QuorumCheckDeps {
  /** The controller in this pod. */
  readonly local: QuorumClient
  readonly address: string
  readonly nodeId: number
  readonly boundMs: number
  /** A client for another controller's listener (the leader's): same TLS and SASL. */
  readonly clientFor: (endpoint: ControllerEndpoint) => QuorumClient
  readonly store: QuorumViewStore
}

/**
 * quorum (readiness): the local controller names a leader (DescribeCluster, KIP-919), the
 * leader describes the quorum (DescribeQuorum: only the active controller answers it), and by
 * that answer this node is a caught-up voter. Two requests a run, three with a new leader's dial.
 */
export function quorumCheck (deps: QuorumCheckDeps): Check & { close: () => Promise<void>, dropLeader: () => void } {
  const { local, address, nodeId, boundMs, clientFor, store } = deps
  // One client for the leader, kept while the leader stays where it is.
  let leader: { key: string, client: QuorumClient } | undefined
  const leaderClient = (e: ControllerEndpoint): QuorumClient => {
    const key = `${e.nodeId}@${e.host}:${e.port}`
    if (leader?.key !== key) {
      void leader?.client.close().catch(() => {})
      leader = { key, client: clientFor(e) }
    }
    return leader.client
  }
  const failed = (r: CheckResult): CheckResult => { store.update(undefined, `${r.reason}: ${r.message}`); return r }

  return {
    name: CHECK_QUORUM,
    run: async (signal) => {
      let cluster
      try {
        cluster = await local.describeControllers(signal)
      } catch (err) {
        return failed(controllerFailure(address, err))
      }
      if (cluster.leaderId < 0) return failed(fail('NO_QUORUM_LEADER', `controller ${address} knows no quorum leader`))
      let client = local
      let where = address
      if (cluster.leaderId !== nodeId) {
        const e = cluster.controllers.find((c) => c.nodeId === cluster.leaderId)
        if (e === undefined) return failed(fail('QUORUM_LEADER_UNREACHABLE', `leader ${cluster.leaderId} has no endpoint in controller ${address}'s DescribeCluster answer`))
        client = leaderClient(e)
        where = `${e.host}:${e.port}`
      }
      let q
      try {
        q = await client.describeQuorum(signal)
      } catch (err) {
        // Our own mistakes (credentials, TLS material, a bug in our client) are never the leader being down.
        const kind = err instanceof BrokerError ? err.kind : 'client'
        // An answer the leader gave (a protocol error: NOT_LEADER_OR_FOLLOWER after an election,
        // or one our decoder could not read) is not the leader being unreachable either.
        if (client === local || ['auth', 'tls', 'client', 'protocol'].includes(kind)) return failed(controllerFailure(where, err))
        return failed(fail('QUORUM_LEADER_UNREACHABLE', `leader ${cluster.leaderId} (named by controller ${address}) did not describe the quorum (${kind}): ${err instanceof Error ? err.message : String(err)}`))
      }
      store.update(q)
      return judgeQuorum(q, nodeId, boundMs)
    },
    close: async () => { await leader?.client.close() },
    /** New TLS/SASL material: the next run dials the leader afresh with it. */
    dropLeader: () => { void leader?.client.close().catch(() => {}); leader = undefined },
  }
}
