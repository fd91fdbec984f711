/**
 * What other targets may use of Kafka: the client seam's types and its lazy factories, nothing
 * else of this folder. A controller or a Connect worker's sink progress speaks Kafka too, and
 * kafkajs is unmaintained: swapping it must still touch this folder alone, so every Kafka
 * request of every target goes through interfaces declared here (test/layout.test.ts holds it).
 */
export { BrokerError, type BrokerClient, type BrokerErrorKind, type BrokerInfo, type ClusterMetadata } from './client'
export { createKafkajsBrokerClient } from './kafkajs-lazy'
export type { ControllerCluster, ControllerEndpoint, QuorumClient, QuorumState, ReplicaState } from './quorum'
export { createKafkajsQuorumClient } from './kafkajs-lazy'
// Sink progress (src/connect/progress.ts): the cluster's committed and end offsets.
export type { GroupState, OffsetsClient, OffsetsClientOptions, PartitionOffset } from './offsets'
export { createKafkajsOffsetsClient } from './kafkajs-offsets-lazy'
