import { BrokerError, type BrokerErrorKind, type GroupState, type OffsetsClient, type PartitionOffset } from '../../src/kafka/seam'

/**
 * An OffsetsClient whose offsets a test sets: `commit` and `produce` move a group's committed
 * offsets and a topic's end offsets. For unit tests of our own logic; test/real plays the rest.
 */
export class FakeOffsetsClient implements OffsetsClient {
  /** group → "topic\0partition" → committed offset */
  readonly committed = new Map<string, Map<string, number>>()
  /** topic → end offset per partition */
  readonly ends = new Map<string, number[]>()
  readonly members = new Map<string, number>()
  /** Groups left out of committedOffsets' answer, as a coordinator's error for one group does. */
  readonly unanswered = new Set<string>()
  /** Every call fails with this, or hangs until its signal aborts. */
  fault: BrokerErrorKind | 'hang' | Error | undefined
  readonly calls = { committed: 0, states: 0, ends: 0 }
  readonly asked: { groups: string[], topics: string[] } = { groups: [], topics: [] }
  closed = 0

  topic (name: string, partitions: number, end = 0): this {
    this.ends.set(name, Array.from({ length: partitions }, () => end))
    return this
  }

  produce (topic: string, n: number, partition = 0): void {
    const e = this.ends.get(topic)
    if (e === undefined) throw new Error(`no topic ${topic}`)
    e[partition] = (e[partition] ?? 0) + n
  }

  commit (group: string, topic: string, partition: number, offset: number): void {
    const g = this.committed.get(group) ?? new Map<string, number>()
    g.set(`${topic}\u0000${partition}`, offset)
    this.committed.set(group, g)
  }

  /** Commits the group up to the end of every partition of `topic`. */
  catchUp (group: string, topic: string): void {
    (this.ends.get(topic) ?? []).forEach((end, p) => { this.commit(group, topic, p, end) })
  }

  private async answer<T> (signal: AbortSignal, fn: () => T): Promise<T> {
    if (this.fault === 'hang') {
      return await new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => { reject(new BrokerError('aborted', 'deadline passed')) }, { once: true })
      })
    }
    if (this.fault instanceof Error) throw this.fault
    if (this.fault !== undefined) throw new BrokerError(this.fault, `fake ${this.fault}`)
    return await Promise.resolve(fn())
  }

  committedOffsets = async (groups: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, readonly PartitionOffset[]>> => await this.answer(signal, () => {
    this.calls.committed++
    this.asked.groups = [...groups]
    return new Map(groups.filter((g) => !this.unanswered.has(g)).map((g) => [g, [...this.committed.get(g) ?? []].map(([k, offset]) => {
      const [topic = '', partition = '0'] = k.split('\u0000')
      return { topic, partition: Number(partition), offset }
    })]))
  })

  groupStates = async (groups: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, GroupState>> => await this.answer(signal, () => {
    this.calls.states++
    return new Map(groups.map((g) => [g, { state: (this.members.get(g) ?? 1) > 0 ? 'Stable' : 'Empty', members: this.members.get(g) ?? 1 }]))
  })

  endOffsets = async (topics: readonly string[], signal: AbortSignal): Promise<readonly PartitionOffset[]> => await this.answer(signal, () => {
    this.calls.ends++
    this.asked.topics = [...topics].sort()
    return topics.flatMap((topic) => (this.ends.get(topic) ?? []).map((offset, partition) => ({ topic, partition, offset })))
  })

  close = async (): Promise<void> => { this.closed++; await Promise.resolve() }
}
