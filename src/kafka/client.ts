/**
 * The only view of Kafka the agent has. kafkajs is unmaintained: swapping it means writing
 * one new implementation of this interface (kafkajs-broker-client.ts today), nothing else.
 *
 * Every call talks to the one broker the client was built for, never to another broker from
 * the metadata, and gives up when `signal` aborts; the connection is then rebuilt on the next call.
 */
export interface BrokerClient {
  /** A Kafka-protocol round trip (ApiVersions) to the local broker: more than an open port. */
  ping: (signal: AbortSignal) => Promise<void>
  /** The brokers the local broker lists in its metadata. Asks for no topics, so the cost does not grow with them. */
  clusterMetadata: (signal: AbortSignal) => Promise<ClusterMetadata>
  /**
   * Every partition of every topic as the local broker's metadata has it: leader, replicas, ISR.
   * One Metadata request; its cost grows with partitions, so only the in-sync check asks.
   */
  topicsMetadata: (signal: AbortSignal) => Promise<TopicsMetadata>
  /**
   * min.insync.replicas of these topics, in one DescribeConfigs request to the local broker.
   * Throws when the broker will not say (no DescribeConfigs ACL, an old or mock broker): the
   * caller then falls back to a configured value.
   */
  minInsyncReplicas: (topics: readonly string[], signal: AbortSignal) => Promise<ReadonlyMap<string, number>>
  close: () => Promise<void>
}

export interface PartitionState {
  readonly topic: string
  readonly partition: number
  /** -1 when the partition has no leader (offline). */
  readonly leader: number
  readonly replicas: readonly number[]
  readonly isr: readonly number[]
}

export interface TopicsMetadata {
  readonly brokers: readonly BrokerInfo[]
  readonly partitions: readonly PartitionState[]
}

export interface BrokerInfo {
  readonly nodeId: number
  readonly host: string
  readonly port: number
  readonly rack: string | null
}

export interface ClusterMetadata {
  readonly clusterId: string | null
  readonly controllerId: number | null
  readonly brokers: readonly BrokerInfo[]
}

/** `client`: our side could not make the request at all (a local mistake), so it says nothing of the broker. */
export type BrokerErrorKind = 'unreachable' | 'auth' | 'tls' | 'protocol' | 'aborted' | 'client'

/** Failures of the peer, classified so checks can give bounded reasons without knowing the library. */
export class BrokerError extends Error {
  override name = 'BrokerError'
  constructor (readonly kind: BrokerErrorKind, message: string) {
    super(message)
  }
}
