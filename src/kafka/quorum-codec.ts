import { BrokerError } from './client'
import type { ControllerCluster, QuorumState, ReplicaState } from './quorum'

/**
 * DescribeCluster v1 (API key 60) and DescribeQuorum v1 (API key 55), which kafkajs 2.2.4 lacks.
 * Written from the message schemas in Kafka's clients/src/main/resources/common/message/; both
 * are flexible versions: compact strings and arrays (length + 1 as an unsigned varint), tagged
 * fields after every struct, and the v2 request header / v1 response header, which carry tagged
 * fields of their own. v1 of each is all we need (controller endpoints, KIP-919; lastCaughtUp
 * timestamps, KIP-836), and both Kafka 3.9 and 4.x accept it.
 *
 * Bodies only: the frame (size, api key, version, correlation id, client id) is the connection's.
 * A request body here starts with the request header's empty tagged-field section, because the
 * connection writes the header up to the client id; a response body starts after the correlation id.
 */
export const DESCRIBE_CLUSTER = { apiKey: 60, apiVersion: 1, apiName: 'DescribeCluster' } as const
export const DESCRIBE_QUORUM = { apiKey: 55, apiVersion: 1, apiName: 'DescribeQuorum' } as const

/** DescribeCluster v1's EndpointType: 2 lists controllers (only a controller listener accepts it). */
const CONTROLLER_ENDPOINTS = 2
/** The KRaft metadata log: one topic, one partition. */
export const METADATA_TOPIC = '__cluster_metadata'

/** Kafka error codes we name; others show as their number. */
const ERRORS: Record<number, string> = {
  [-1]: 'UNKNOWN_SERVER_ERROR',
  3: 'UNKNOWN_TOPIC_OR_PARTITION',
  6: 'NOT_LEADER_OR_FOLLOWER',
  31: 'CLUSTER_AUTHORIZATION_FAILED',
  35: 'UNSUPPORTED_VERSION',
  114: 'MISMATCHED_ENDPOINT_TYPE',
  115: 'UNSUPPORTED_ENDPOINT_TYPE',
}
const CLUSTER_AUTHORIZATION_FAILED = 31

export function kafkaErrorName (code: number): string {
  return ERRORS[code] ?? `error code ${code}`
}

/** An error code in an answer: the node answered, so 'protocol', or 'auth' when it refused us. */
function answerError (what: string, code: number): BrokerError {
  return new BrokerError(code === CLUSTER_AUTHORIZATION_FAILED ? 'auth' : 'protocol', `${what}: ${kafkaErrorName(code)}`)
}

class Writer {
  private readonly parts: Buffer[] = []
  int8 (v: number): this { const b = Buffer.alloc(1); b.writeInt8(v); this.parts.push(b); return this }
  int32 (v: number): this { const b = Buffer.alloc(4); b.writeInt32BE(v); this.parts.push(b); return this }
  uvarint (v: number): this {
    const out: number[] = []
    let n = v >>> 0
    while (n >= 0x80) { out.push((n & 0x7f) | 0x80); n >>>= 7 }
    out.push(n)
    this.parts.push(Buffer.from(out))
    return this
  }

  compactString (s: string): this {
    const b = Buffer.from(s, 'utf8')
    this.uvarint(b.length + 1)
    this.parts.push(b)
    return this
  }

  /** An empty tagged-field section. */
  noTags (): this { return this.uvarint(0) }
  bytes (): Buffer { return Buffer.concat(this.parts) }
}

/** Reads a response; any read past the end is a malformed answer ('protocol'), never a crash. */
export class Reader {
  private offset = 0
  constructor (private readonly buf: Buffer, private readonly what: string) {}

  private need (n: number): number {
    if (this.offset + n > this.buf.length) throw new BrokerError('protocol', `${this.what}: answer ends early (${this.buf.length} bytes)`)
    const at = this.offset
    this.offset += n
    return at
  }

  int8 (): number { return this.buf.readInt8(this.need(1)) }
  int16 (): number { return this.buf.readInt16BE(this.need(2)) }
  int32 (): number { return this.buf.readInt32BE(this.need(4)) }
  /** Offsets and millisecond timestamps: far inside 2^53. */
  int64 (): number { return Number(this.buf.readBigInt64BE(this.need(8))) }
  uvarint (): number {
    let value = 0
    for (let shift = 0; shift < 35; shift += 7) {
      const byte = this.buf.readUInt8(this.need(1))
      value += (byte & 0x7f) * 2 ** shift
      if ((byte & 0x80) === 0) return value
    }
    throw new BrokerError('protocol', `${this.what}: a varint longer than 5 bytes`)
  }

  compactNullableString (): string | null {
    const n = this.uvarint()
    if (n === 0) return null
    const at = this.need(n - 1)
    return this.buf.toString('utf8', at, at + n - 1)
  }

  compactString (): string {
    const s = this.compactNullableString()
    if (s === null) throw new BrokerError('protocol', `${this.what}: null where a string must be`)
    return s
  }

  compactArray<T> (item: () => T): T[] {
    const n = this.uvarint()
    // A null array where we need one, or a length no answer of this size could hold.
    if (n === 0 || n - 1 > this.buf.length - this.offset) throw new BrokerError('protocol', `${this.what}: bad array length ${n - 1}`)
    const out: T[] = []
    for (let i = 0; i < n - 1; i++) out.push(item())
    return out
  }

  /** Skips a tagged-field section: we need none of the fields it may carry. */
  tags (): void {
    const count = this.uvarint()
    for (let i = 0; i < count; i++) {
      this.uvarint()
      this.need(this.uvarint())
    }
  }

  end (): void {
    if (this.offset !== this.buf.length) throw new BrokerError('protocol', `${this.what}: ${this.buf.length - this.offset} bytes after the answer`)
  }
}

export function encodeDescribeClusterRequest (): Buffer {
  // header tags; IncludeClusterAuthorizedOperations false; EndpointType; body tags
  return new Writer().noTags().int8(0).int8(CONTROLLER_ENDPOINTS).noTags().bytes()
}

export function decodeDescribeClusterResponse (buf: Buffer): ControllerCluster {
  const r = new Reader(buf, 'DescribeCluster')
  r.tags() // response header
  r.int32() // throttle time
  const errorCode = r.int16()
  const errorMessage = r.compactNullableString()
  r.int8() // endpoint type
  const clusterId = r.compactString()
  const leaderId = r.int32()
  const controllers = r.compactArray(() => {
    const nodeId = r.int32()
    const host = r.compactString()
    const port = r.int32()
    r.compactNullableString() // rack
    r.tags()
    return { nodeId, host, port }
  })
  r.int32() // cluster authorized operations
  r.tags()
  r.end()
  if (errorCode !== 0) throw answerError(`DescribeCluster${errorMessage === null ? '' : ` (${errorMessage.slice(0, 200)})`}`, errorCode)
  return { clusterId, leaderId, controllers }
}

export function encodeDescribeQuorumRequest (): Buffer {
  return new Writer().noTags()
    .uvarint(2).compactString(METADATA_TOPIC) // one topic
    .uvarint(2).int32(0).noTags() // one partition: 0
    .noTags() // topic tags
    .noTags() // body tags
    .bytes()
}

export function decodeDescribeQuorumResponse (buf: Buffer): QuorumState {
  const r = new Reader(buf, 'DescribeQuorum')
  r.tags()
  const errorCode = r.int16()
  const replica = (): ReplicaState => {
    const state = { nodeId: r.int32(), logEndOffset: r.int64(), lastFetchTimestamp: r.int64(), lastCaughtUpTimestamp: r.int64() }
    r.tags()
    return state
  }
  const partitions = r.compactArray(() => {
    const topic = r.compactString()
    const parts = r.compactArray(() => {
      const partition = r.int32()
      const partitionError = r.int16()
      const state = { leaderId: r.int32(), leaderEpoch: r.int32(), highWatermark: r.int64(), voters: r.compactArray(replica), observers: r.compactArray(replica) }
      r.tags()
      return { partition, partitionError, state }
    })
    r.tags()
    return parts.map((p) => ({ topic, ...p }))
  }).flat()
  r.tags()
  r.end()
  if (errorCode !== 0) throw answerError('DescribeQuorum', errorCode)
  const p = partitions.find((x) => x.topic === METADATA_TOPIC && x.partition === 0)
  if (p === undefined) throw new BrokerError('protocol', `DescribeQuorum: no ${METADATA_TOPIC} partition 0 in the answer`)
  if (p.partitionError !== 0) throw answerError('DescribeQuorum', p.partitionError)
  return p.state
}
