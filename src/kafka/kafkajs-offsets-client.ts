import type Broker from 'kafkajs/src/broker'
import Cluster from 'kafkajs/src/cluster'
import InstrumentationEventEmitter from 'kafkajs/src/instrumentation/emitter'
import { LEVELS, createLogger } from 'kafkajs/src/loggers'
import socketFactory from 'kafkajs/src/network/socketFactory'
import Encoder from 'kafkajs/src/protocol/encoder'
import { createErrorFromCode } from 'kafkajs/src/protocol/error'
import { requests } from 'kafkajs/src/protocol/requests'
import apiKeys from 'kafkajs/src/protocol/requests/apiKeys'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { BrokerError } from './client'
import { classify, lenient, oauthAuthenticator } from './kafkajs-client'
import type { GroupState, OffsetsClient, OffsetsClientOptions, PartitionOffset } from './offsets'
import { oauthProvider } from './oauth'
import { raceAbort } from './race-abort'

/**
 * OffsetsClient on kafkajs 2.2.4's internal Cluster (connections per broker, the broker list),
 * with requests we build ourselves. kafkajs's Admin would do per topic what we need per leader
 * (fetchTopicOffsets: one Metadata and one ListOffsets per leader for each topic), ask
 * FindCoordinator again for every group on every call, and throw on the first error code in any
 * answer; here each sample costs one Metadata, one ListOffsets per leader, one OffsetFetch per
 * group (kafkajs speaks OffsetFetch only up to v4, one group a request; v8 would batch them per
 * coordinator) and one DescribeGroups per coordinator. Coordinators are remembered until one
 * says it no longer is.
 */

/**
 * Error codes that mean "ask FindCoordinator again" (COORDINATOR_LOAD_IN_PROGRESS,
 * COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR): routine while brokers restart or leaders move.
 */
const COORDINATOR_MOVED = new Set([14, 15, 16])
/** FindCoordinator's key type of a consumer group. */
const GROUP_KEY = 0
/**
 * ListOffsets isolation: READ_COMMITTED, the last stable offset (LSO), not the high watermark. A
 * sink consumer configured read_committed cannot pass an open transaction, so the high watermark
 * would show lag that is not the sink's fault: a long-running transaction would read as a stall.
 * A read_uncommitted consumer may then commit above the LSO, where the caller clamps lag at 0.
 * The LSO is never above the high watermark, so it is never wrong in the costly direction: it can
 * hide lag behind an open transaction while that lasts, never invent lag that fails a healthy
 * connector. Needs ListOffsets v2 (Kafka 0.11); kafkajs takes the highest version both sides
 * speak (ApiVersions), v3 against any Kafka since 2.0.
 */
const READ_COMMITTED = 1
const LATEST = -1

/** The parts of a Metadata answer we read (kafkajs's decoding, v0 to v6). */
interface MetadataAnswer {
  readonly topicMetadata: ReadonlyArray<{
    readonly topicErrorCode: number
    readonly topic: string
    readonly partitionMetadata: ReadonlyArray<{ readonly partitionErrorCode: number, readonly partitionId: number, readonly leader: number }>
  }>
}

/**
 * Metadata for exactly `topics` (none: the broker list alone), its answer read leniently: a
 * topic's or a partition's error code is data, not a throw for the whole answer. kafkajs itself
 * encodes an empty topic list as null, which from v1 on (every Kafka since 0.10) asks for every
 * topic of the cluster.
 */
async function metadata (broker: Broker, topics: readonly string[]): Promise<MetadataAnswer> {
  const req = broker.lookupRequest(apiKeys.Metadata as number, requests.Metadata)({ topics: [...topics], allowAutoTopicCreation: false })
  const version = req.request.apiVersion
  req.request.encode = async () => {
    const e = new Encoder().writeArray([...topics])
    return await Promise.resolve(version >= 4 ? e.writeBoolean(false) : e)
  }
  return await broker.connectionPool.send(lenient(req)) as MetadataAnswer
}

/**
 * kafkajs refreshes its broker list (on connect, after metadataMaxAge, for a node id it does not
 * know) with Metadata for Cluster.targetTopics, which we never set: that empty list would go out
 * as null, every topic of the cluster, a costly answer on a big cluster, and kafkajs's parser
 * would throw on its first topic in error. Every broker of the pool asks for the topics it is
 * given instead, none here: the broker list, which is all the pool needs.
 */
function namedTopicsOnly (cluster: Cluster): void {
  const pool = cluster.brokerPool
  const create = pool.createBroker
  pool.createBroker = (options) => {
    const broker = create(options)
    Object.assign(broker, { metadata: async (topics: string[]) => await metadata(broker, topics) })
    return broker
  }
}

/** Each leader's partitions of the answered topics, without the topics and partitions in error or without a leader. */
function partitionsByLeader (answer: MetadataAnswer): Map<number, Map<string, number[]>> {
  const byLeader = new Map<number, Map<string, number[]>>()
  for (const t of answer.topicMetadata) {
    // A deleted or forbidden topic, one being created: missing from this sample, the others stand.
    if (t.topicErrorCode !== 0) continue
    for (const p of t.partitionMetadata) {
      if (p.partitionErrorCode !== 0 || p.leader < 0) continue
      const perTopic = byLeader.get(p.leader) ?? new Map<string, number[]>()
      perTopic.set(t.topic, [...perTopic.get(t.topic) ?? [], p.partitionId])
      byLeader.set(p.leader, perTopic)
    }
  }
  return byLeader
}

interface Conn { readonly cluster: Cluster, readonly sockets: Set<Socket> }

export function createKafkajsOffsetsClient (opts: OffsetsClientOptions & { readonly logger: Logger }): OffsetsClient {
  const { access } = opts
  const log = opts.logger.child({ component: 'kafkajs-offsets' })
  const logger = createLogger({
    level: log.isLevelEnabled('debug') ? LEVELS.DEBUG : LEVELS.NOTHING,
    logCreator: () => ({ namespace, label, log: entry }: { namespace: string, label: string, log: { message: string } & Record<string, unknown> }): void => {
      const { message, ...rest } = entry
      log.debug({ namespace, kafkajsLevel: label, ...rest }, message)
    },
  })
  const oauth = access.sasl?.mechanism === 'oauthbearer' ? oauthProvider(access.sasl.oauth, { timeoutMs: opts.timeoutMs }) : undefined
  const sasl = access.sasl === undefined || oauth === undefined ? access.sasl : { mechanism: 'oauthbearer', oauthBearerProvider: oauth, authenticationProvider: oauthAuthenticator(oauth) }
  /**
   * Each group's coordinator lookup: shared while in flight (committedOffsets and groupStates run
   * together and would both ask), kept once it names a node, until that node says it no longer is.
   */
  const coordinators = new Map<string, Promise<number | undefined>>()
  /** The error code each group last answered with, per API: a lasting one is logged once. */
  const groupErrors = new Map<string, number>()
  let current: Conn | undefined

  function dial (): Conn {
    const sockets = new Set<Socket>()
    const base = socketFactory() as (args: unknown) => Socket
    const emitter = new InstrumentationEventEmitter()
    if (opts.onRequest !== undefined) {
      const onRequest = opts.onRequest
      // Kafka's own API names: kafkajs calls FindCoordinator by its old name.
      emitter.addListener('network.request', (e: { payload?: { apiName?: string } }) => {
        const api = e.payload?.apiName ?? 'unknown'
        onRequest(api === 'GroupCoordinator' ? 'FindCoordinator' : api)
      })
    }
    const cluster = new Cluster({
      logger,
      socketFactory: (args: unknown) => {
        const s = base(args)
        sockets.add(s)
        s.once('close', () => sockets.delete(s))
        return s
      },
      brokers: [...access.brokers],
      clientId: access.clientId,
      ssl: access.tls ?? false,
      sasl,
      connectionTimeout: opts.timeoutMs,
      authenticationTimeout: opts.timeoutMs,
      requestTimeout: opts.timeoutMs,
      enforceRequestTimeout: true,
      metadataMaxAge: 300_000,
      // One try: the check's next sample is the retry, and the run's deadline bounds this one.
      retry: { retries: 0 },
      allowAutoTopicCreation: false,
      isolationLevel: READ_COMMITTED,
      instrumentationEmitter: emitter,
    })
    namedTopicsOnly(cluster)
    return { cluster, sockets }
  }

  function reset (conn: Conn): void {
    if (current === conn) current = undefined
    coordinators.clear()
    for (const s of conn.sockets) s.destroy()
    conn.cluster.disconnect().catch(() => {})
  }

  /** Runs fn on the cluster, bounded by `signal`; any failure but a broker's error answer drops the connections. */
  async function call<T> (signal: AbortSignal, fn: (c: Cluster) => Promise<T>): Promise<T> {
    if (signal.aborted) throw new BrokerError('aborted', 'deadline passed before the call')
    current ??= dial()
    const conn = current
    try {
      return await raceAbort(signal, (async () => {
        await conn.cluster.connect()
        // The broker list the coordinators and leaders are found in: once per connection and
        // metadataMaxAge, a Metadata request for no topic (namedTopicsOnly).
        await conn.cluster.refreshMetadataIfNecessary()
        return await fn(conn.cluster)
      })())
    } catch (err) {
      const e = classify(err)
      if (e.kind !== 'protocol') reset(conn)
      throw e
    }
  }

  /**
   * A group's error code in an answer (not authorized, its coordinator loading or moved): that
   * group is unknown this sample and left out of the result, the other groups stand. The caller
   * sees only the gap, so a lasting error is logged, once; coordinator moves are routine.
   */
  function groupFailed (api: string, groupId: string, code: number | undefined): boolean {
    const key = `${api} ${groupId}`
    if (code === undefined || code === 0) {
      groupErrors.delete(key)
      return false
    }
    const moved = COORDINATOR_MOVED.has(code)
    if (moved) coordinators.delete(groupId)
    if (groupErrors.get(key) !== code) {
      const { type } = createErrorFromCode(code) as Error & { type: string }
      log[moved ? 'debug' : 'warn']({ group: groupId, api, code, error: type }, `consumer group ${groupId}: ${api} answered ${type}; its progress is unknown until it answers`)
    }
    groupErrors.set(key, code)
    return true
  }

  /** The group's coordinator, asked of any broker; undefined when the answer is an error code. */
  async function findCoordinator (cluster: Cluster, groupId: string): Promise<number | undefined> {
    const broker = await cluster.brokerPool.findConnectedBroker()
    const req = broker.lookupRequest(apiKeys.GroupCoordinator as number, requests.GroupCoordinator)({ groupId, coordinatorType: GROUP_KEY })
    const raw = await broker.connectionPool.send(lenient(req)) as { errorCode?: number, coordinator?: { nodeId: number } }
    return groupFailed('FindCoordinator', groupId, raw.errorCode) ? undefined : raw.coordinator?.nodeId
  }

  async function coordinatorOf (cluster: Cluster, groupId: string): Promise<number | undefined> {
    const known = coordinators.get(groupId)
    if (known !== undefined) return await known
    const lookup = findCoordinator(cluster, groupId)
    coordinators.set(groupId, lookup)
    // An error answer or a failed request is not kept: the next sample asks again.
    const forget = (): void => { if (coordinators.get(groupId) === lookup) coordinators.delete(groupId) }
    void lookup.then((nodeId) => { if (nodeId === undefined) forget() }, forget)
    return await lookup
  }

  /** A coordinator or leader the broker list does not have yet (it joined since): the list is refreshed first. */
  async function brokerFor (cluster: Cluster, nodeId: number): Promise<Broker> {
    if (!(String(nodeId) in cluster.brokerPool.brokers)) await cluster.refreshMetadata()
    return await cluster.findBroker({ nodeId })
  }

  /** Every offset the group committed; undefined when an answer on the way is an error code. */
  async function offsetFetch (cluster: Cluster, groupId: string): Promise<PartitionOffset[] | undefined> {
    const nodeId = await coordinatorOf(cluster, groupId)
    if (nodeId === undefined) return undefined
    const broker = await brokerFor(cluster, nodeId)
    const req = broker.lookupRequest(apiKeys.OffsetFetch as number, requests.OffsetFetch)({ groupId, topics: [] })
    // A null topic list (v2 and later): every topic the group committed to, in one request.
    req.request.encode = async () => await Promise.resolve(new Encoder().writeString(groupId).writeNullableArray([]))
    const raw = await broker.connectionPool.send(lenient(req)) as { errorCode?: number, responses?: Array<{ topic: string, partitions: Array<{ partition: number, offset: string, errorCode: number }> }> }
    const partitions = (raw.responses ?? []).flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })))
    // A partition's error too: the group's list would be incomplete, so the whole group is unknown.
    const code = [raw.errorCode ?? 0, ...partitions.map((p) => p.errorCode)].find((c) => c !== 0)
    if (groupFailed('OffsetFetch', groupId, code)) return undefined
    return partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: Number(p.offset) }))
  }

  /** Groups by coordinator, without those whose coordinator is unknown this sample. */
  async function byCoordinator (cluster: Cluster, groups: readonly string[]): Promise<Map<number, string[]>> {
    const found = await Promise.all(groups.map(async (g) => [g, await coordinatorOf(cluster, g)] as const))
    const out = new Map<number, string[]>()
    for (const [g, nodeId] of found) if (nodeId !== undefined) out.set(nodeId, [...out.get(nodeId) ?? [], g])
    return out
  }

  /** The states of groups sharing a coordinator, in one DescribeGroups; a group answered with an error code is left out. */
  async function describeGroups (cluster: Cluster, nodeId: number, groupIds: string[]): Promise<Array<[string, GroupState]>> {
    const broker = await brokerFor(cluster, nodeId)
    const req = broker.lookupRequest(apiKeys.DescribeGroups as number, requests.DescribeGroups)({ groupIds })
    // kafkajs names the field `state` (Kafka's group_state).
    const raw = await broker.connectionPool.send(lenient(req)) as { groups?: Array<{ errorCode: number, groupId: string, state: string, members?: unknown[] }> }
    const out: Array<[string, GroupState]> = []
    for (const g of raw.groups ?? []) {
      if (!groupFailed('DescribeGroups', g.groupId, g.errorCode)) out.push([g.groupId, { state: g.state, members: g.members?.length ?? 0 }])
    }
    return out
  }

  return {
    committedOffsets: async (groups, signal) => await call(signal, async (cluster) => {
      const lists = await Promise.all(groups.map(async (g) => [g, await offsetFetch(cluster, g)] as const))
      return new Map(lists.filter((e): e is readonly [string, PartitionOffset[]] => e[1] !== undefined))
    }),
    groupStates: async (groups, signal) => await call(signal, async (cluster) => {
      const perCoordinator = await Promise.all([...await byCoordinator(cluster, groups)].map(async ([nodeId, groupIds]) => await describeGroups(cluster, nodeId, groupIds)))
      return new Map(perCoordinator.flat())
    }),
    endOffsets: async (topics, signal) => topics.length === 0 ? [] : await call(signal, async (cluster) => {
      // Exactly this sample's topics, so a deleted one is not asked for forever.
      const byLeader = partitionsByLeader(await metadata(await cluster.brokerPool.findConnectedBroker(), topics))
      const out: PartitionOffset[] = []
      await Promise.all([...byLeader].map(async ([nodeId, perTopic]) => {
        const broker = await brokerFor(cluster, nodeId)
        const req = broker.lookupRequest(apiKeys.ListOffsets as number, requests.ListOffsets)({
          replicaId: -1,
          isolationLevel: READ_COMMITTED,
          topics: [...perTopic].map(([topic, ps]) => ({ topic, partitions: ps.map((partition) => ({ partition, timestamp: LATEST })) })),
        })
        const raw = await broker.connectionPool.send(lenient(req)) as { responses?: Array<{ topic: string, partitions: Array<{ partition: number, errorCode: number, offset?: string, offsets?: string[] }> }> }
        for (const t of raw.responses ?? []) {
          for (const p of t.partitions) {
            // A leader that moved since the metadata: this partition is missing from this sample.
            if (p.errorCode !== 0) continue
            const offset = p.offset ?? p.offsets?.[0]
            if (offset !== undefined) out.push({ topic: t.topic, partition: p.partition, offset: Number(offset) })
          }
        }
      }))
      return out
    }),
    close: async () => {
      const conn = current
      current = undefined
      if (conn === undefined) return
      await Promise.race([conn.cluster.disconnect().catch(() => {}), new Promise((resolve) => setTimeout(resolve, 1000).unref())])
      for (const s of conn.sockets) s.destroy()
    },
  }
}
