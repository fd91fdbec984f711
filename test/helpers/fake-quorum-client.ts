import { BrokerError, type BrokerErrorKind } from '../../src/kafka/client'
import type { ControllerCluster, QuorumClient, QuorumState } from '../../src/kafka/quorum'
import type { KafkaTarget } from '../../src/config/resolve'

/** A KRaft quorum a test drives: which controller leads and how far each voter is behind. */
export class FakeQuorum {
  leaderId = 1
  epoch = 3
  voters = [1, 2, 3]
  observers: number[] = []
  /** ms since each node last caught up (default 0); null: never. */
  behindMs = new Map<number, number | null>()
  /** Per listener port: an error, 'hang', or 'bug' (our own client throws a TypeError). */
  faults = new Map<number, { kind: BrokerErrorKind, message: string } | 'hang' | 'bug'>()
  /** Every listener a client was built for, with its material. */
  readonly built: KafkaTarget[] = []
  readonly calls: Array<{ port: number, call: string }> = []
  readonly closed: number[] = []
  /** The port of node id n (controllers listen on 9090 + n; a broker on 9092). */
  static port (n: number): number { return 9090 + n }

  state (): QuorumState {
    const now = 1_800_000_000_000
    const replica = (nodeId: number): QuorumState['voters'][number] => {
      const behind = nodeId === this.leaderId ? 0 : this.behindMs.get(nodeId)
      return { nodeId, logEndOffset: 100 - (behind === null || behind === undefined ? 0 : Math.floor(behind / 100)), lastFetchTimestamp: now, lastCaughtUpTimestamp: behind === null ? -1 : now - (behind ?? 0) }
    }
    return { leaderId: this.leaderId, leaderEpoch: this.epoch, highWatermark: 100, voters: this.voters.map(replica), observers: this.observers.map(replica) }
  }

  /** A client for the listener of `target`, as the controller target's quorumClientFor builds them. */
  clientFor = (target: KafkaTarget): QuorumClient => {
    const port = target.port
    this.built.push(target)
    const answer = async <T>(signal: AbortSignal, call: string, value: () => T): Promise<T> => {
      this.calls.push({ port, call })
      const fault = this.faults.get(port)
      if (fault === 'hang') {
        await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new BrokerError('aborted', 'deadline passed')) }) })
      } else if (fault === 'bug') {
        throw new TypeError('Cannot read properties of undefined (reading \'send\')')
      } else if (fault !== undefined) {
        throw new BrokerError(fault.kind, fault.message)
      }
      return value()
    }
    const isLeader = (): boolean => port === FakeQuorum.port(this.leaderId) || port === 9092
    return {
      ping: async (signal) => { await answer(signal, 'ping', () => undefined) },
      describeControllers: async (signal): Promise<ControllerCluster> => await answer(signal, 'describeControllers', () => ({
        clusterId: 'c1',
        leaderId: this.leaderId,
        controllers: this.voters.map((nodeId) => ({ nodeId, host: `controller-${nodeId}`, port: FakeQuorum.port(nodeId) })),
      })),
      describeQuorum: async (signal) => await answer(signal, 'describeQuorum', () => {
        if (!isLeader()) throw new BrokerError('protocol', 'DescribeQuorum: NOT_LEADER_OR_FOLLOWER')
        return this.state()
      }),
      close: async () => { this.closed.push(port); await Promise.resolve() },
    }
  }
}
