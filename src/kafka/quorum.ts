/**
 * The narrow view of a KRaft quorum the controller target needs (and a broker's quorum metrics):
 * kafkajs has neither DescribeCluster nor DescribeQuorum, so quorum-codec.ts encodes them and
 * kafkajs-quorum-client.ts sends them over the same connection machinery as the broker client.
 *
 * Like BrokerClient, every call talks to the one node the client was built for and gives up when
 * `signal` aborts; failures are BrokerErrors (kind 'client' for our own mistakes).
 */
export interface QuorumClient {
  /** ApiVersions to the node: it answers the Kafka protocol on this listener. */
  ping: (signal: AbortSignal) => Promise<void>
  /**
   * DescribeCluster v1 for controller endpoints (KIP-919): the active controller's id and where
   * every controller listens. Only a controller listener answers it this way.
   */
  describeControllers: (signal: AbortSignal) => Promise<ControllerCluster>
  /**
   * DescribeQuorum v1 for the metadata log. Only the active controller answers it (others say
   * NOT_LEADER_OR_FOLLOWER, a 'protocol' error); a broker forwards it to the active controller.
   */
  describeQuorum: (signal: AbortSignal) => Promise<QuorumState>
  close: () => Promise<void>
}

export interface ControllerEndpoint {
  readonly nodeId: number
  readonly host: string
  readonly port: number
}

export interface ControllerCluster {
  readonly clusterId: string
  /** The active controller (the quorum leader) as this node knows it; -1 when it knows none. */
  readonly leaderId: number
  readonly controllers: readonly ControllerEndpoint[]
}

/** One replica of the metadata log as the leader sees it. Timestamps are the leader's wall clock (ms); -1: unknown. */
export interface ReplicaState {
  readonly nodeId: number
  readonly logEndOffset: number
  readonly lastFetchTimestamp: number
  readonly lastCaughtUpTimestamp: number
}

export interface QuorumState {
  /** -1 when there is no leader. */
  readonly leaderId: number
  readonly leaderEpoch: number
  readonly highWatermark: number
  readonly voters: readonly ReplicaState[]
  readonly observers: readonly ReplicaState[]
}
