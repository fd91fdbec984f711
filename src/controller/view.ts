import { LatestStore } from '../core/latest'
import type { QuorumState } from '../kafka/seam'

/** The last quorum the quorum check saw, for /prestop and the metrics. */
export class QuorumViewStore extends LatestStore<QuorumState> {}
