import { BrokerError, type BrokerClient, type BrokerErrorKind } from './client'
import type { KafkaTarget } from '../config/resolve'
import { fail, pass, type Check, type CheckResult, type Reason } from '../core/check'

export const CHECK_REACHABLE = 'reachable'
export const CHECK_REGISTERED = 'registered'

const REASON_BY_KIND: Record<BrokerErrorKind, Exclude<Reason, 'OK'>> = {
  unreachable: 'KAFKA_UNREACHABLE',
  auth: 'KAFKA_AUTH',
  tls: 'KAFKA_TLS',
  protocol: 'KAFKA_PROTOCOL_ERROR',
  client: 'KAFKA_CLIENT_ERROR',
  // The runner reports TIMEOUT itself when it aborts; this only shows if a check outlives it.
  aborted: 'TIMEOUT',
}

export function brokerFailure (address: string, err: unknown): CheckResult {
  // Not a failure the client classified: ours, not the broker's.
  const kind = err instanceof BrokerError ? err.kind : 'client'
  const message = err instanceof Error ? err.message : String(err)
  return fail(REASON_BY_KIND[kind], `broker ${address}: ${message}`)
}

export interface BrokerChecksDeps {
  readonly client: BrokerClient
  readonly target: KafkaTarget
  /** Reports the broker count from the last metadata answer; undefined when there was none. */
  readonly onBrokerCount?: (count: number | undefined, clusterId?: string | null) => void
}

/**
 * reachable: the broker in this pod answers the Kafka protocol at its own address. Liveness
 * hangs off this alone, because a liveness failure restarts the broker, and nothing but the
 * broker itself should be able to cause that.
 */
export function reachableCheck ({ client, target }: BrokerChecksDeps): Check {
  return {
    name: CHECK_REACHABLE,
    run: async (signal) => {
      try {
        await client.ping(signal)
        return pass(`broker ${target.address} answers the Kafka protocol`)
      } catch (err) {
        // A TLS or auth refusal is the broker answering; our credentials are what is wrong, and
        // restarting the broker would not fix them. Readiness (registered) reports it instead.
        if (err instanceof BrokerError && (err.kind === 'tls' || err.kind === 'auth')) {
          return pass(`broker ${target.address} answers, but refused the agent's ${err.kind === 'tls' ? 'TLS handshake' : 'credentials'}: ${err.message}`)
        }
        // Our own client failed before asking: that says nothing of the broker either.
        if (!(err instanceof BrokerError) || err.kind === 'client') {
          const r = brokerFailure(target.address, err)
          return pass(`broker state unknown: ${r.reason}: ${r.message} (readiness reports it)`)
        }
        return brokerFailure(target.address, err)
      }
    },
  }
}

/**
 * registered: the local broker's metadata lists this broker's node id and at least
 * --min-brokers brokers. Asked of the local broker, so it also shows that broker has caught up
 * with the cluster's metadata.
 */
export function registeredCheck ({ client, target, onBrokerCount }: BrokerChecksDeps): Check {
  return {
    name: CHECK_REGISTERED,
    run: async (signal) => {
      let meta
      try {
        meta = await client.clusterMetadata(signal)
      } catch (err) {
        onBrokerCount?.(undefined)
        return brokerFailure(target.address, err)
      }
      const ids = meta.brokers.map((b) => b.nodeId).sort((a, b) => a - b)
      const details = { clusterId: meta.clusterId, brokers: meta.brokers, brokerId: target.brokerId ?? null, minBrokers: target.minBrokers }
      onBrokerCount?.(ids.length, meta.clusterId)
      const listed = ids.length === 0 ? 'none' : ids.join(',')
      if (target.brokerId !== undefined && !ids.includes(target.brokerId)) {
        return fail('BROKER_NOT_REGISTERED', `broker id ${target.brokerId} is not in the cluster metadata (brokers: ${listed})`, details)
      }
      if (ids.length < target.minBrokers) {
        return fail('TOO_FEW_BROKERS', `${ids.length} brokers in the cluster metadata, need at least ${target.minBrokers} (brokers: ${listed})`, details)
      }
      const who = target.brokerId === undefined ? 'cluster' : `broker id ${target.brokerId}`
      return pass(`${who} registered; ${ids.length} brokers (${listed})`, details)
    },
  }
}
