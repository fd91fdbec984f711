import { BrokerError, type BrokerClient, type BrokerErrorKind, type ClusterMetadata, type PartitionState, type TopicsMetadata } from '../../src/kafka/client'
import type { Check, CheckResult } from '../../src/core/check'

/** A BrokerClient whose answers a test sets; for the unit tests of our own logic only. */
export class FakeBrokerClient implements BrokerClient {
  brokers = [1, 2, 3]
  error: { kind: BrokerErrorKind, message: string } | undefined
  hang = false
  closed = 0
  calls = 0

  private async answer<T> (signal: AbortSignal, value: () => T): Promise<T> {
    this.calls++
    if (this.hang) {
      await new Promise((_resolve, reject) => { signal.addEventListener('abort', () => { reject(new BrokerError('aborted', 'deadline passed')) }) })
    }
    if (this.error !== undefined) throw new BrokerError(this.error.kind, this.error.message)
    return value()
  }

  ping = async (signal: AbortSignal): Promise<void> => { await this.answer(signal, () => undefined) }
  clusterMetadata = async (signal: AbortSignal): Promise<ClusterMetadata> => await this.answer(signal, () => ({
    clusterId: 'c1',
    controllerId: null,
    brokers: this.brokers.map((nodeId) => ({ nodeId, host: `kafka-${nodeId}`, port: 9092, rack: null })),
  }))

  /** Every partition in the metadata; tests shrink ISRs here, which no mock broker can do. */
  partitions: PartitionState[] = []
  /** min.insync.replicas the broker describes; an error stands for a refusal (ACL, unsupported). */
  minIsr: Map<string, number> | { kind: BrokerErrorKind, message: string } = new Map()
  describeCalls = 0

  topicsMetadata = async (signal: AbortSignal): Promise<TopicsMetadata> => await this.answer(signal, () => ({
    brokers: this.brokers.map((nodeId) => ({ nodeId, host: `kafka-${nodeId}`, port: 9092, rack: null })),
    partitions: this.partitions.map((p) => ({ ...p, replicas: [...p.replicas], isr: [...p.isr] })),
  }))

  minInsyncReplicas = async (topics: readonly string[], signal: AbortSignal): Promise<ReadonlyMap<string, number>> => await this.answer(signal, () => {
    this.describeCalls++
    const m = this.minIsr
    if (!(m instanceof Map)) throw new BrokerError(m.kind, m.message)
    return new Map([...m].filter(([t]) => topics.includes(t)))
  })

  close = async (): Promise<void> => { this.closed++; await Promise.resolve() }
}

/** A partition for FakeBrokerClient: `topic-N` replicated on `replicas`, ISR `isr`, first replica leads. */
export function partition (topic: string, n: number, replicas: number[], isr: number[] = replicas, leader = isr[0] ?? -1): PartitionState {
  return { topic, partition: n, leader, replicas, isr }
}

/** A check that answers what the test queues, optionally after a delay or never. */
export class ScriptedCheck implements Check {
  results: CheckResult[] = []
  delayMs = 0
  running = 0
  maxRunning = 0
  aborted = 0
  runs = 0
  constructor (readonly name: string, private readonly fallback: CheckResult = { ok: true, reason: 'OK', message: 'fine' }) {}

  run = async (signal: AbortSignal): Promise<CheckResult> => {
    this.runs++
    this.running++
    this.maxRunning = Math.max(this.maxRunning, this.running)
    signal.addEventListener('abort', () => { this.aborted++ })
    try {
      // Honours the abort like a real check that drops its connection.
      if (this.delayMs > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.delayMs)
          signal.addEventListener('abort', () => { clearTimeout(timer); resolve() })
        })
      }
      return this.results.shift() ?? this.fallback
    } finally {
      this.running--
    }
  }
}
