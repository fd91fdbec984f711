import type { BrokerClient } from './client'
import type * as Kafkajs from './kafkajs-client'
import type * as KafkajsQuorum from './kafkajs-quorum-client'
import type { QuorumClient } from './quorum'

/**
 * kafkajs-client.ts (and kafkajs with it) is loaded on the first client, not when the agent
 * starts: a Connect sidecar never loads kafkajs. Saves RSS and start time (BENCHMARKS.md,
 * "Footprint").
 */
export function createKafkajsBrokerClient (opts: Kafkajs.KafkajsClientOptions): BrokerClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load is the point
  const m = require('./kafkajs-client') as typeof Kafkajs
  return m.createKafkajsBrokerClient(opts)
}

/** The controller's client, loaded as lazily (kafkajs-quorum-client.ts loads kafkajs). */
export function createKafkajsQuorumClient (opts: Kafkajs.KafkajsClientOptions): QuorumClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load is the point
  const m = require('./kafkajs-quorum-client') as typeof KafkajsQuorum
  return m.createKafkajsQuorumClient(opts)
}
