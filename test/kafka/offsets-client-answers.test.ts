// The kafkajs offsets client against a scripted Kafka peer (several nodes, real wire format),
// for the answers librdkafka's mock cluster cannot give: a topic's or a group's error code, a
// broker that joins after the first Metadata, a last stable offset below the high watermark; and
// for what each request carried (the topics a Metadata asks for, ListOffsets' isolation level).
import t, { type Test } from 'tap'
import { createServer, type Server, type Socket } from 'node:net'
import { createKafkajsOffsetsClient } from '../../src/kafka/seam'
import type { OffsetsClient } from '../../src/kafka/seam'
import { createLogger } from '../../src/log/logger'

const LIST_OFFSETS = 2
const METADATA = 3
const OFFSET_FETCH = 9
const FIND_COORDINATOR = 10
const DESCRIBE_GROUPS = 15
const API_VERSIONS = 18

const UNKNOWN_TOPIC_OR_PARTITION = 3
const LEADER_NOT_AVAILABLE = 5
const NOT_LEADER = 6
const COORDINATOR_LOAD_IN_PROGRESS = 14
const NOT_COORDINATOR = 16
const TOPIC_AUTHORIZATION_FAILED = 29
const GROUP_AUTHORIZATION_FAILED = 30

/** Big-endian Kafka primitives, written. */
class Out {
  private readonly parts: Buffer[] = []
  private put (size: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(size)
    write(b)
    this.parts.push(b)
    return this
  }

  i8 (v: number): this { return this.put(1, (b) => b.writeInt8(v)) }
  i16 (v: number): this { return this.put(2, (b) => b.writeInt16BE(v)) }
  i32 (v: number): this { return this.put(4, (b) => b.writeInt32BE(v)) }
  i64 (v: number): this { return this.put(8, (b) => b.writeBigInt64BE(BigInt(v))) }
  bool (v: boolean): this { return this.i8(v ? 1 : 0) }
  str (s: string | null): this {
    if (s === null) return this.i16(-1)
    const bytes = Buffer.from(s)
    this.i16(bytes.length)
    this.parts.push(bytes)
    return this
  }

  bytes (b: Buffer): this {
    this.i32(b.length)
    this.parts.push(b)
    return this
  }

  array<T> (xs: readonly T[], each: (o: this, x: T) => void): this {
    this.i32(xs.length)
    for (const x of xs) each(this, x)
    return this
  }

  buffer (): Buffer { return Buffer.concat(this.parts) }
}

/** Big-endian Kafka primitives, read. */
class In {
  private at = 0
  constructor (private readonly b: Buffer) {}
  i8 (): number { return this.b.readInt8((this.at += 1) - 1) }
  i16 (): number { return this.b.readInt16BE((this.at += 2) - 2) }
  i32 (): number { return this.b.readInt32BE((this.at += 4) - 4) }
  i64 (): number { return Number(this.b.readBigInt64BE((this.at += 8) - 8)) }
  str (): string | null {
    const n = this.i16()
    if (n < 0) return null
    return this.b.toString('utf8', this.at, (this.at += n))
  }

  array<T> (each: (i: this) => T): T[] | null {
    const n = this.i32()
    if (n < 0) return null
    return Array.from({ length: n }, () => each(this))
  }

  /** A request longer than its version's fields: the client encoded it for another version. */
  end (): void {
    if (this.at !== this.b.length) throw new Error(`${this.b.length - this.at} bytes left over`)
  }
}

interface FakePartition { readonly leader: number, readonly error?: number, readonly end: number, /** last stable offset; the end when unset */ readonly lso?: number }
interface FakeTopic { readonly error?: number, readonly partitions: readonly FakePartition[] }
interface FakeGroup {
  readonly coordinator: number
  /** FindCoordinator's answer for this group. */
  readonly findError?: number
  /** OffsetFetch's group-level error code. */
  readonly error?: number
  /** OffsetFetch's error code on each partition. */
  readonly partitionError?: number
  readonly describeError?: number
  readonly offsets: ReadonlyArray<{ readonly topic: string, readonly partition: number, readonly offset: number }>
  readonly state?: string
  readonly members?: number
}

/** One request as it arrived: at which node, which API and version, and what it asked for. */
interface Seen {
  readonly node: number
  readonly apiKey: number
  readonly apiVersion: number
  /** Metadata: the topic list (null: every topic). */
  readonly topics?: string[] | null
  /** Metadata v4 and later: may the broker create the topics asked for. */
  readonly autoCreate?: boolean
  /** ListOffsets: the isolation level (undefined before v2). */
  readonly isolation?: number
  /** FindCoordinator: the group asked about. */
  readonly key?: string
}

/**
 * A Kafka cluster of `n` nodes (ids 1..n) on loopback, answering the five APIs the offsets client
 * speaks from the topics and groups a test sets. Non-flexible versions only, as kafkajs 2.2.4
 * speaks them.
 */
class FakeKafka {
  readonly seen: Seen[] = []
  readonly topics = new Map<string, FakeTopic>()
  readonly groups = new Map<string, FakeGroup>()
  /** The highest version of each API the nodes say they speak. */
  readonly maxVersion = new Map<number, number>([[LIST_OFFSETS, 7], [METADATA, 9], [OFFSET_FETCH, 7], [FIND_COORDINATOR, 3], [DESCRIBE_GROUPS, 4], [API_VERSIONS, 3]])
  /** The node ids the n-th Metadata answer (1-based) lists. */
  listed: (nth: number) => number[] = () => [...this.ports.keys()]
  /** While set, no request is answered. */
  hanging = false
  /** Every open connection, by the node it reached. */
  private readonly sockets = new Map<Socket, number>()

  private constructor (private readonly servers: Map<number, Server>, private readonly ports: Map<number, number>) {}

  static async start (n: number): Promise<FakeKafka> {
    const servers = new Map<number, Server>()
    const ports = new Map<number, number>()
    const fake = new FakeKafka(servers, ports)
    for (let id = 1; id <= n; id++) {
      const server = createServer((s) => { fake.serve(id, s) })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      servers.set(id, server)
      ports.set(id, (server.address() as { port: number }).port)
    }
    return fake
  }

  address (id: number): string { return `127.0.0.1:${this.ports.get(id) ?? 0}` }
  count (apiKey: number): number { return this.seen.filter((s) => s.apiKey === apiKey).length }
  of (apiKey: number): Seen[] { return this.seen.filter((s) => s.apiKey === apiKey) }

  /** Node `id` goes away: its connections are cut and no new one is accepted. */
  down (id: number): void {
    this.servers.get(id)?.close()
    for (const [s, node] of this.sockets) if (node === id) s.destroy()
  }

  async stop (): Promise<void> {
    for (const s of this.sockets.keys()) s.destroy()
    await Promise.all([...this.servers.values()].map(async (server) => { await new Promise((resolve) => server.close(() => { resolve(undefined) })) }))
  }

  private serve (node: number, socket: Socket): void {
    this.sockets.set(socket, node)
    socket.once('close', () => this.sockets.delete(socket))
    socket.on('error', () => {})
    let buf = Buffer.alloc(0)
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = new In(buf.subarray(4, 4 + buf.readInt32BE(0)))
        buf = buf.subarray(4 + buf.readInt32BE(0))
        const apiKey = frame.i16()
        const apiVersion = frame.i16()
        const correlation = frame.i32()
        frame.str() // client id
        const body = this.answer(node, apiKey, apiVersion, frame)
        if (this.hanging) continue
        const out = new Out().i32(correlation).buffer()
        socket.write(Buffer.concat([new Out().i32(out.length + body.length).buffer(), out, body]))
      }
    })
  }

  private answer (node: number, apiKey: number, v: number, req: In): Buffer {
    switch (apiKey) {
      case API_VERSIONS: return this.apiVersions(node, v)
      case METADATA: return this.metadata(node, v, req)
      case LIST_OFFSETS: return this.listOffsets(node, v, req)
      case FIND_COORDINATOR: return this.findCoordinator(node, v, req)
      case OFFSET_FETCH: return this.offsetFetch(node, v, req)
      case DESCRIBE_GROUPS: return this.describeGroups(node, v, req)
      default: throw new Error(`the fake does not speak API ${apiKey}`)
    }
  }

  private apiVersions (node: number, v: number): Buffer {
    this.seen.push({ node, apiKey: API_VERSIONS, apiVersion: v })
    const out = new Out().i16(0).array([...this.maxVersion], (o, [key, max]) => o.i16(key).i16(0).i16(max))
    return (v >= 1 ? out.i32(0) : out).buffer()
  }

  private metadata (node: number, v: number, req: In): Buffer {
    const topics = req.array((i) => i.str() ?? '')
    const autoCreate = v >= 4 ? req.i8() !== 0 : undefined
    req.end()
    this.seen.push({ node, apiKey: METADATA, apiVersion: v, topics, ...(autoCreate === undefined ? {} : { autoCreate }) })
    const nodes = this.listed(this.count(METADATA))
    const out = new Out()
    if (v >= 3) out.i32(0)
    out.array(nodes, (o, id) => {
      o.i32(id).str('127.0.0.1').i32(this.ports.get(id) ?? 0)
      if (v >= 1) o.str(null)
    })
    if (v >= 2) out.str('fake-cluster')
    if (v >= 1) out.i32(1)
    const names = topics ?? [...this.topics.keys()]
    out.array(names, (o, name) => {
      const topic = this.topics.get(name) ?? { error: UNKNOWN_TOPIC_OR_PARTITION, partitions: [] }
      o.i16(topic.error ?? 0).str(name)
      if (v >= 1) o.bool(false)
      o.array(topic.error === undefined ? topic.partitions : [], (o2, p) => {
        o2.i16(p.error ?? 0).i32(topic.partitions.indexOf(p)).i32(p.leader).array([p.leader], (o3, r) => o3.i32(r)).array([p.leader], (o3, r) => o3.i32(r))
        if (v >= 5) o2.array([], () => {})
      })
    })
    return out.buffer()
  }

  private listOffsets (node: number, v: number, req: In): Buffer {
    req.i32() // replica id
    const isolation = v >= 2 ? req.i8() : undefined
    const asked = req.array((i) => ({ topic: i.str() ?? '', partitions: i.array((j) => { const p = j.i32(); j.i64(); if (v === 0) j.i32(); return p }) ?? [] })) ?? []
    this.seen.push({ node, apiKey: LIST_OFFSETS, apiVersion: v, ...(isolation === undefined ? {} : { isolation }) })
    const out = new Out()
    if (v >= 2) out.i32(0)
    out.array(asked, (o, { topic, partitions }) => {
      o.str(topic).array(partitions, (o2, id) => {
        const p = this.topics.get(topic)?.partitions[id]
        const error = p === undefined ? UNKNOWN_TOPIC_OR_PARTITION : p.leader === node ? 0 : NOT_LEADER
        const offset = p === undefined ? -1 : isolation === 1 ? (p.lso ?? p.end) : p.end
        o2.i32(id).i16(error)
        if (v === 0) o2.array([offset], (o3, x) => o3.i64(x))
        else o2.i64(-1).i64(offset)
      })
    })
    return out.buffer()
  }

  private findCoordinator (node: number, v: number, req: In): Buffer {
    const key = req.str() ?? ''
    this.seen.push({ node, apiKey: FIND_COORDINATOR, apiVersion: v, key })
    const group = this.groups.get(key)
    const error = group?.findError ?? 0
    const id = error === 0 ? (group?.coordinator ?? 1) : -1
    const out = new Out()
    if (v >= 1) out.i32(0).i16(error).str(null)
    else out.i16(error)
    return out.i32(id).str(error === 0 ? '127.0.0.1' : '').i32(this.ports.get(id) ?? -1).buffer()
  }

  private offsetFetch (node: number, v: number, req: In): Buffer {
    const groupId = req.str() ?? ''
    this.seen.push({ node, apiKey: OFFSET_FETCH, apiVersion: v, key: groupId })
    const group = this.groups.get(groupId) ?? { coordinator: 1, offsets: [] }
    const error = group.coordinator !== node ? NOT_COORDINATOR : (group.error ?? 0)
    const byTopic = new Map<string, Array<{ partition: number, offset: number }>>()
    for (const o of error === 0 ? group.offsets : []) byTopic.set(o.topic, [...byTopic.get(o.topic) ?? [], o])
    const out = new Out()
    if (v >= 3) out.i32(0)
    out.array([...byTopic], (o, [topic, ps]) => {
      o.str(topic).array(ps, (o2, p) => o2.i32(p.partition).i64(p.offset).str('').i16(group.partitionError ?? 0))
    })
    return out.i16(error).buffer()
  }

  private describeGroups (node: number, v: number, req: In): Buffer {
    const ids = req.array((i) => i.str() ?? '') ?? []
    this.seen.push({ node, apiKey: DESCRIBE_GROUPS, apiVersion: v })
    const out = new Out()
    if (v >= 1) out.i32(0)
    out.array(ids, (o, id) => {
      const group = this.groups.get(id)
      const error = group === undefined || group.coordinator !== node ? NOT_COORDINATOR : (group.describeError ?? 0)
      o.i16(error).str(id).str(error === 0 ? (group?.state ?? 'Stable') : '').str('consumer').str('range')
      o.array(Array.from({ length: error === 0 ? (group?.members ?? 1) : 0 }, (_, i) => i), (o2, i) => {
        o2.str(`member-${i}`).str('connector-consumer').str('/127.0.0.1').bytes(Buffer.alloc(0)).bytes(Buffer.alloc(0))
      })
    })
    return out.buffer()
  }
}

async function setUp (t: Test, nodes = 3): Promise<{ fake: FakeKafka, client: OffsetsClient, logged: Array<{ level: string, msg: string }> }> {
  const fake = await FakeKafka.start(nodes)
  t.teardown(async () => { await fake.stop() })
  const logged: Array<{ level: string, msg: string }> = []
  const client = createKafkajsOffsetsClient({
    access: { brokers: [fake.address(1)], clientId: 'healthz', tls: undefined, sasl: undefined },
    timeoutMs: 2000,
    logger: createLogger('info', { write: (line: string) => { logged.push(JSON.parse(line)) } }),
  })
  t.teardown(client.close)
  return { fake, client, logged }
}

const signal = (): AbortSignal => AbortSignal.timeout(3000)
const byPartition = (a: { partition: number }, b: { partition: number }): number => a.partition - b.partition

t.test('the fake answers a plain sample', async (t) => {
  const { fake, client } = await setUp(t)
  fake.topics.set('orders', { partitions: [{ leader: 1, end: 10 }, { leader: 2, end: 20 }, { leader: 3, end: 30 }] })
  fake.groups.set('connect-orders', { coordinator: 2, offsets: [{ topic: 'orders', partition: 0, offset: 7 }], members: 2 })
  const ends = await client.endOffsets(['orders'], signal())
  t.same([...ends].sort(byPartition).map((e) => e.offset), [10, 20, 30])
  t.same((await client.committedOffsets(['connect-orders'], signal())).get('connect-orders'), [{ topic: 'orders', partition: 0, offset: 7 }])
  t.same((await client.groupStates(['connect-orders'], signal())).get('connect-orders'), { state: 'Stable', members: 2 })
})

t.test('Metadata: a topic in error or a partition without a leader leaves the rest of the sample standing', async (t) => {
  const { fake, client } = await setUp(t)
  fake.topics.set('orders', { partitions: [{ leader: 1, end: 10 }, { leader: 2, end: 20 }, { leader: 3, end: 30 }] })
  fake.topics.set('forbidden', { error: TOPIC_AUTHORIZATION_FAILED, partitions: [] })
  fake.topics.set('creating', { error: LEADER_NOT_AVAILABLE, partitions: [] })
  fake.topics.set('electing', { partitions: [{ leader: -1, error: LEADER_NOT_AVAILABLE, end: 5 }, { leader: 2, end: 6 }] })
  const topics = ['orders', 'deleted', 'forbidden', 'creating', 'electing']
  const ends = await client.endOffsets(topics, signal())
  t.same([...ends].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition), [
    { topic: 'electing', partition: 1, offset: 6 },
    { topic: 'orders', partition: 0, offset: 10 },
    { topic: 'orders', partition: 1, offset: 20 },
    { topic: 'orders', partition: 2, offset: 30 },
  ], 'deleted (UNKNOWN_TOPIC_OR_PARTITION), forbidden and creating are left out, and electing-0')
  const asked = fake.of(METADATA).map((m) => m.topics)
  t.same(asked.at(-1)?.sort(), [...topics].sort(), 'the sample\'s topics, named')
  t.equal(fake.count(LIST_OFFSETS), 3, 'one ListOffsets per leader')
})

for (const version of [1, 9]) {
  t.test(`Metadata v${Math.min(version, 6)}: after a reconnect no request asks for every topic`, async (t) => {
    const { fake, client } = await setUp(t)
    fake.maxVersion.set(METADATA, version)
    fake.topics.set('orders', { partitions: [{ leader: 1, end: 10 }, { leader: 2, end: 20 }] })
    fake.topics.set('unrelated', { partitions: [{ leader: 3, end: 1 }] })
    fake.groups.set('connect-orders', { coordinator: 2, offsets: [{ topic: 'orders', partition: 0, offset: 7 }] })
    const sample = async (s: AbortSignal): Promise<void> => {
      await Promise.all([client.committedOffsets(['connect-orders'], s), client.groupStates(['connect-orders'], s)])
      await client.endOffsets(['orders'], s)
    }
    await sample(signal())
    // Every broker hangs: the call ends with its signal and drops the connections.
    fake.hanging = true
    await t.rejects(sample(AbortSignal.timeout(300)), { name: 'BrokerError', kind: 'aborted' })
    fake.hanging = false
    fake.seen.length = 0
    await sample(signal())
    t.equal(fake.count(API_VERSIONS) > 0, true, 'a new connection')
    const asked = fake.of(METADATA)
    t.same(asked.map((m) => m.topics), [[], ['orders']], 'the broker list (no topic), then the sample\'s topics')
    t.same(asked.map((m) => m.apiVersion), [Math.min(version, 6), Math.min(version, 6)])
    if (version >= 4) t.same(asked.map((m) => m.autoCreate), [false, false], 'never creates a topic')
  })
}

t.test('a coordinator or leader that joined after the first Metadata: the broker list is refreshed once, without topics', async (t) => {
  const { fake, client } = await setUp(t)
  fake.listed = (nth) => nth === 1 ? [1, 2] : [1, 2, 3]
  fake.topics.set('orders', { partitions: [{ leader: 3, end: 10 }] })
  fake.groups.set('connect-orders', { coordinator: 3, offsets: [{ topic: 'orders', partition: 0, offset: 4 }] })
  t.same((await client.committedOffsets(['connect-orders'], signal())).get('connect-orders'), [{ topic: 'orders', partition: 0, offset: 4 }])
  t.same(fake.of(METADATA).map((m) => m.topics), [[], []], 'one refresh for node 3')
  t.same(await client.endOffsets(['orders'], signal()), [{ topic: 'orders', partition: 0, offset: 10 }])
  t.equal(fake.of(LIST_OFFSETS)[0]?.node, 3)
})

t.test("a group's error code leaves that group out (unknown this sample), never the others", async (t) => {
  const { fake, client, logged } = await setUp(t)
  const committed = [{ topic: 'orders', partition: 0, offset: 3 }]
  fake.groups.set('ok', { coordinator: 1, offsets: committed, members: 2 })
  // Kafka checks a group's ACL at FindCoordinator already.
  fake.groups.set('forbidden', { coordinator: 1, findError: GROUP_AUTHORIZATION_FAILED, offsets: committed })
  fake.groups.set('loading', { coordinator: 2, error: COORDINATOR_LOAD_IN_PROGRESS, describeError: COORDINATOR_LOAD_IN_PROGRESS, offsets: committed })
  fake.groups.set('partial', { coordinator: 3, partitionError: UNKNOWN_TOPIC_OR_PARTITION, describeError: GROUP_AUTHORIZATION_FAILED, offsets: committed })
  const groups = ['ok', 'forbidden', 'loading', 'partial']
  const sample = async (): Promise<[string[], string[]]> => {
    const [offsets, states] = await Promise.all([client.committedOffsets(groups, signal()), client.groupStates(groups, signal())])
    return [[...offsets.keys()], [...states.keys()]]
  }
  t.same(await sample(), [['ok'], ['ok']])
  fake.seen.length = 0
  t.same(await sample(), [['ok'], ['ok']], 'again')
  const asked = fake.of(FIND_COORDINATOR).map((s) => s.key).sort()
  t.same([...new Set(asked)], ['forbidden', 'loading'], 'its coordinator loading: asked for again; not authorized: never remembered')
  t.equal(logged.filter((l) => l.level === 'warn').length, 3, 'a lasting error is logged once per group and API, a coordinator loading not at all')
  t.match(logged.map((l) => l.msg).sort(), [
    /^consumer group forbidden: FindCoordinator answered GROUP_AUTHORIZATION_FAILED; its progress is unknown/,
    /^consumer group partial: DescribeGroups answered GROUP_AUTHORIZATION_FAILED/,
    /^consumer group partial: OffsetFetch answered UNKNOWN_TOPIC_OR_PARTITION/,
  ])

  fake.groups.set('loading', { coordinator: 2, offsets: committed, state: 'Empty', members: 0 })
  const offsets = await client.committedOffsets(groups, signal())
  t.same(offsets.get('loading'), committed, 'answers again once loaded')
  t.same((await client.groupStates(['loading'], signal())).get('loading'), { state: 'Empty', members: 0 })

  // A connection-level failure is no answer: the call throws, so the caller reports it.
  fake.down(3)
  await t.rejects(client.committedOffsets(groups, signal()), { name: 'BrokerError', kind: 'unreachable' })
})

t.test('end offsets are the last stable offset: an open transaction is not the sink\'s lag', async (t) => {
  const { fake, client } = await setUp(t)
  fake.topics.set('orders', { partitions: [{ leader: 1, end: 10, lso: 7 }, { leader: 2, end: 20 }] })
  const ends = await client.endOffsets(['orders'], signal())
  t.same([...ends].sort(byPartition).map((e) => e.offset), [7, 20], 'partition 0 has a transaction open from offset 7')
  t.same(fake.of(LIST_OFFSETS).map((r) => [r.apiVersion, r.isolation]), [[3, 1], [3, 1]], 'v3, READ_COMMITTED, at each leader')
})

t.test('a broker that speaks ListOffsets v1 only (before Kafka 0.11): the high watermark, all it knows', async (t) => {
  const { fake, client } = await setUp(t, 1)
  fake.maxVersion.set(LIST_OFFSETS, 1)
  fake.topics.set('orders', { partitions: [{ leader: 1, end: 10, lso: 7 }] })
  t.same(await client.endOffsets(['orders'], signal()), [{ topic: 'orders', partition: 0, offset: 10 }])
  t.same(fake.of(LIST_OFFSETS).map((r) => [r.apiVersion, r.isolation]), [[1, undefined]])
})
