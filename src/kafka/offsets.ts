import type { KafkaClusterAccess } from '../config/resolve'

/**
 * The view of a whole Kafka cluster that sink progress needs: consumer groups' committed offsets
 * and the partitions' end offsets. Unlike BrokerClient (the broker in this pod only), this one
 * talks to the cluster through its bootstrap servers, to whichever broker coordinates a group or
 * leads a partition.
 *
 * Requests per call are bounded by groups, coordinators and leaders, never by partitions. Every
 * call gives up when `signal` aborts; its connections are then rebuilt on the next call. Failures
 * to get an answer (unreachable, authentication, TLS, the deadline) throw BrokerError (client.ts),
 * classified as for the broker client. An answer's error code for one group, topic or partition
 * does not throw: that one is left out of the result and the rest stands.
 */
export interface OffsetsClient {
  /**
   * Every offset each group has committed (OffsetFetch for all topics, at the group's coordinator).
   * A group that committed nothing maps to an empty list. A group missing from the map is unknown
   * this sample: an answer for it carried an error code (not authorized, its coordinator loading
   * or moved, a partition's error), which is not the same as having committed nothing. Offsets are
   * numbers (int64 fits well below 2^53 in practice).
   */
  committedOffsets: (groups: readonly string[], signal: AbortSignal) => Promise<ReadonlyMap<string, readonly PartitionOffset[]>>
  /**
   * Each group's state and member count (DescribeGroups, one request per coordinator). A group
   * missing from the map is unknown this sample, as for committedOffsets.
   */
  groupStates: (groups: readonly string[], signal: AbortSignal) => Promise<ReadonlyMap<string, GroupState>>
  /**
   * The end offset of every partition of these topics, as a read_committed consumer sees it (the
   * last stable offset: the high watermark unless a transaction is open): one Metadata request
   * naming exactly these topics, then one ListOffsets per leader. Left out, so that the rest of the
   * sample stands: a topic the Metadata answer gives an error code for (deleted, not authorized,
   * being created), a partition with an error code or without a leader, and one whose leader
   * moved before ListOffsets.
   */
  endOffsets: (topics: readonly string[], signal: AbortSignal) => Promise<readonly PartitionOffset[]>
  close: () => Promise<void>
}

export interface PartitionOffset {
  readonly topic: string
  readonly partition: number
  /** -1: none (no commit for this partition). */
  readonly offset: number
}

export interface GroupState {
  /** Stable, Empty, PreparingRebalance, Dead, … as the coordinator says. */
  readonly state: string
  readonly members: number
}

export interface OffsetsClientOptions {
  readonly access: KafkaClusterAccess
  /** Bounds the library's own connect/request timers, so an abandoned call still ends. */
  readonly timeoutMs: number
  /** Told of every request that reached a broker, by API name (bench and tests count them). */
  readonly onRequest?: (api: string) => void
}
