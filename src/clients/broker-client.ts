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
  close: () => Promise<void>
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

export type BrokerErrorKind = 'unreachable' | 'auth' | 'tls' | 'protocol' | 'aborted'

/** Failures of the peer, classified so checks can give bounded reasons without knowing the library. */
export class BrokerError extends Error {
  override name = 'BrokerError'
  constructor (readonly kind: BrokerErrorKind, message: string) {
    super(message)
  }
}
