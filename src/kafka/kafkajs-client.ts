import Broker from 'kafkajs/src/broker'
import connectionPoolBuilder from 'kafkajs/src/cluster/connectionPoolBuilder'
import { LEVELS, createLogger } from 'kafkajs/src/loggers'
import RequestQueue from 'kafkajs/src/network/requestQueue'
import socketFactory from 'kafkajs/src/network/socketFactory'
import Encoder from 'kafkajs/src/protocol/encoder'
import { requests } from 'kafkajs/src/protocol/requests'
import apiKeys from 'kafkajs/src/protocol/requests/apiKeys'
import type { Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import type { KafkaTarget } from '../config/resolve'
import { oauthProvider, type OAuthProvider } from './oauth'
import { printable } from '../core/printable'
import { raceAbort } from './race-abort'
import { BrokerError, type BrokerClient, type ClusterMetadata, type PartitionState, type TopicsMetadata } from './client'

/**
 * BrokerClient on kafkajs 2.2.4, and the connection machinery kafkajs-quorum-client.ts shares.
 *
 * It uses kafkajs's internal Broker on a connection pool with a single address, rather than
 * the public Admin client, for two reasons: Admin may send any request to any broker from the
 * metadata (we must hear from the local one), and kafkajs encodes an empty topic list as null,
 * which asks for every topic (our cost must not grow with topics).
 */
/**
 * kafkajs 2.2.4 bug: RequestQueue.checkPendingRequests() always re-arms a timer, and with nothing
 * pending and no throttle its delay is -1 - Date.now(), which Node clamps to 1 ms. Every idle
 * connection so runs a 1,000 Hz timer loop for its whole life: CPU at idle, slower probe answers
 * (bench/serve.ts), and a TimeoutNegativeWarning on Node 24. With nothing pending there is
 * nothing to check; push() re-arms the timer when a request has to wait. Patched once, here,
 * because this file is the only one that knows kafkajs (and the version is pinned exactly).
 */
const PATCHED = Symbol.for('kafka-healthz.requestQueuePatched')
const queueProto = RequestQueue.prototype as RequestQueue & { [PATCHED]?: true }
if (queueProto[PATCHED] !== true) {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be called with .call(this)
  const schedule = queueProto.scheduleCheckPendingRequests
  queueProto.scheduleCheckPendingRequests = function (this: RequestQueue): void {
    if (this.pending.length > 0) schedule.call(this)
  }
  queueProto[PATCHED] = true
}

export interface KafkajsClientOptions {
  readonly target: KafkaTarget
  /** Bounds kafkajs's own connect/request timers, so an abandoned call still ends. */
  readonly timeoutMs: number
  readonly logger: Logger
}

interface KafkajsLogEntry { namespace: string, level: number, label: string, log: { message: string } & Record<string, unknown> }

/** A connection to the one node a client is built for: run `fn` on it under `signal`. */
export interface KafkajsSlot { call: <T>(signal: AbortSignal, fn: (b: Broker) => Promise<T>) => Promise<T>, close: () => Promise<void> }

/**
 * The connection machinery every client of this folder shares (the broker client, the quorum
 * client): a kept, authenticated connection (`main`) and a liveness ping that never depends on
 * credentials.
 */
export function kafkajsConnections (opts: KafkajsClientOptions): { main: KafkajsSlot, ping: (signal: AbortSignal) => Promise<void> } {
  const log = opts.logger.child({ component: 'kafkajs' })
  // kafkajs logs an ERROR for every refused connect; the check that saw it reports the failure
  // once, so kafkajs's own lines go to debug and are not even produced above it.
  const logger = createLogger({
    level: log.isLevelEnabled('debug') ? LEVELS.DEBUG : LEVELS.NOTHING,
    logCreator: () => ({ namespace, label, log: entry }: KafkajsLogEntry): void => {
      const { message, ...rest } = entry
      log.debug({ namespace, kafkajsLevel: label, ...rest }, message)
    },
  })

  /**
   * One connection to the local broker, dialled on first use and thrown away after any failure.
   * Its sockets are tracked so a reset destroys them: kafkajs's own disconnect() only half-closes
   * (FIN-WAIT-2) and leaves dials to a frozen peer in SYN-SENT, one more descriptor every run.
   */
  function slot (sasl: KafkaTarget['sasl']): KafkajsSlot {
    interface Conn { readonly broker: Promise<Broker>, readonly sockets: Set<Socket>, /** the handshake finished */ readonly ready: boolean }
    let current: Conn | undefined

    function dial (): Conn {
      let ready = false
      const sockets = new Set<Socket>()
      const base = socketFactory() as (args: unknown) => Socket
      const tracked = (args: unknown): Socket => {
        const socket = base(args)
        sockets.add(socket)
        socket.once('close', () => sockets.delete(socket))
        return socket
      }
      const broker = (async () => {
        const pool = await connectionPoolBuilder({
          socketFactory: tracked,
          brokers: [opts.target.address],
          clientId: opts.target.clientId,
          ssl: opts.target.tls ?? false,
          sasl: saslFor(sasl),
          connectionTimeout: opts.timeoutMs,
          requestTimeout: opts.timeoutMs,
          enforceRequestTimeout: true,
          logger,
        }).build({ host: opts.target.host, port: opts.target.port })
        const b = new Broker({ connectionPool: pool, logger, allowAutoTopicCreation: false, authenticationTimeout: opts.timeoutMs })
        try {
          await b.connect() // ApiVersions, then SASL when configured
        } catch (err) {
          // kafkajs keeps a request-timeout interval per connection until disconnect().
          void b.disconnect().catch(() => {})
          throw err
        }
        ready = true
        return b
      })()
      return { broker, sockets, get ready () { return ready } }
    }

    /** Drops the connection so the next call dials afresh: after a failure we cannot trust the socket. */
    function reset (stale: Conn): void {
      if (current === stale) current = undefined
      for (const socket of stale.sockets) socket.destroy()
      stale.broker.then(async (b) => { await b.disconnect() }).catch(() => {})
    }

    return {
      call: async (signal, fn) => {
        if (signal.aborted) throw new BrokerError('aborted', 'deadline passed before the call')
        current ??= dial()
        const conn = current
        try {
          return await raceAbort(signal, conn.broker.then(fn))
        } catch (err) {
          const e = classify(err)
          // A protocol error on a connected client is an answer: the socket is fine, and other
          // checks share it. Any failure of the dial itself (ApiVersions, SASL, TLS), whatever its
          // class, leaves no usable connection: keeping the rejected dial would answer that same
          // error on every later run, and liveness would restart a healthy broker forever.
          if (e.kind !== 'protocol' || !conn.ready) reset(conn)
          throw e
        }
      },
      close: async () => {
        const conn = current
        current = undefined
        if (conn === undefined) return
        // A clean goodbye when the broker answers, bounded when it does not.
        await Promise.race([conn.broker.then(async (b) => { await b.disconnect() }).catch(() => {}), sleep(1000)])
        for (const socket of conn.sockets) socket.destroy()
      },
    }
  }

  // One token provider for every connection this client dials (its cache is shared).
  const oauth = opts.target.sasl?.mechanism === 'oauthbearer' ? oauthProvider(opts.target.sasl.oauth, { timeoutMs: opts.timeoutMs }) : undefined
  /** Our SASL settings as kafkajs takes them. */
  function saslFor (sasl: KafkaTarget['sasl']): unknown {
    if (sasl === undefined || oauth === undefined) return sasl
    return { mechanism: 'oauthbearer', oauthBearerProvider: oauth, authenticationProvider: oauthAuthenticator(oauth) }
  }

  // Liveness pings on a connection without SASL (Kafka answers ApiVersions before
  // authentication), so a rotated password or an expired secret can never restart the broker.
  // A SASL listener takes exactly one ApiVersions before the handshake and closes the socket on
  // a second ('Unexpected ApiVersions request … during SASL authentication'), and dialling
  // already sends it: so each ping is a fresh, unauthenticated dial, its ApiVersions the answer.
  // (A kept connection answered the first ping and failed every later one: a restart loop of
  // healthy brokers, seen against real Kafka 3.9 and 4.3.)
  const main = slot(opts.target.sasl)
  const pingOnce = async (signal: AbortSignal): Promise<void> => {
    const once = slot(undefined)
    try {
      await once.call(signal, async () => { await Promise.resolve() })
    } finally {
      void once.close()
    }
  }

  const ping = async (signal: AbortSignal): Promise<void> => {
    if (opts.target.sasl !== undefined) {
      await pingOnce(signal)
      return
    }
    await main.call(signal, async (b) => { await b.apiVersions() })
  }
  return { main, ping }
}

export function createKafkajsBrokerClient (opts: KafkajsClientOptions): BrokerClient {
  const { main, ping } = kafkajsConnections(opts)
  return {
    ping,
    clusterMetadata: async (signal) => await main.call(signal, async (b) => {
      const meta = b.lookupRequest(apiKeys.Metadata as number, requests.Metadata)({ topics: [], allowAutoTopicCreation: false })
      const version = meta.request.apiVersion
      // An empty array, not null: null means "all topics" from v1 on.
      meta.request.encode = () => {
        const e = new Encoder().writeArray([])
        return Promise.resolve(version >= 4 ? e.writeBoolean(false) : e)
      }
      return toClusterMetadata(await b.connectionPool.send(meta))
    }),
    // An empty topic list, encoded by kafkajs as null: every topic, which is what this call wants.
    topicsMetadata: async (signal) => await main.call(signal, async (b) => {
      const req = b.lookupRequest(apiKeys.Metadata as number, requests.Metadata)({ topics: [], allowAutoTopicCreation: false })
      return toTopicsMetadata(await b.connectionPool.send(lenient(req)))
    }),
    minInsyncReplicas: async (topics, signal) => await main.call(signal, async (b) => {
      if (topics.length === 0) return new Map<string, number>()
      const req = b.lookupRequest(apiKeys.DescribeConfigs as number, requests.DescribeConfigs)({
        resources: topics.map((name) => ({ type: TOPIC_RESOURCE, name, configNames: [MIN_ISR] })),
        includeSynonyms: false,
      })
      return toMinIsr(await b.connectionPool.send(lenient(req)))
    }),
    close: async () => {
      await main.close()
    },
  }
}

interface SaslExchange { request: { encode: () => Promise<Buffer> }, response?: { decode: (b: Buffer) => Promise<Buffer>, parse: (b: Buffer) => Promise<Buffer> } }

/**
 * OAUTHBEARER as KIP-255 has it, in place of kafkajs's own authenticator, which takes any
 * answer as success. A broker that refuses a token (expired, wrong audience) answers with a JSON
 * error as a challenge and waits for a %x01 before it fails the exchange; kafkajs never read the
 * challenge, went on as if authenticated, and the broker's next answers looked like an empty
 * cluster ("broker id 1 is not in the cluster metadata (brokers: none)") or a closed connection.
 * Found against real Kafka 3.9 and 4.3 (test/real/oauth.test.ts).
 */
export function oauthAuthenticator (provider: OAuthProvider) {
  return ({ saslAuthenticate }: { saslAuthenticate: (exchange: SaslExchange) => Promise<Buffer | undefined> }) => ({
    authenticate: async (): Promise<void> => {
      const { value } = await provider()
      // kafkajs passes auth bytes length-prefixed (INT32 + bytes), both ways.
      const framed = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, 0].map((_, i) => (b.length >>> (24 - 8 * i)) & 0xff)), b])
      const unframed = (b: Buffer): Buffer => (b.length < 4 || b.readInt32BE(0) <= 0 ? Buffer.alloc(0) : b.subarray(4, 4 + b.readInt32BE(0)))
      const initial = framed(Buffer.from(`n,,\x01auth=Bearer ${value}\x01\x01`))
      const raw = { decode: async (b: Buffer) => await Promise.resolve(unframed(b)), parse: async (b: Buffer) => await Promise.resolve(b) }
      const challenge = await saslAuthenticate({ request: { encode: async () => await Promise.resolve(initial) }, response: raw })
      if (challenge === undefined || challenge.length === 0) return
      let status = ''
      try {
        const said = (JSON.parse(challenge.toString('utf8')) as { status?: unknown }).status
        if (typeof said === 'string') status = said
      } catch { /* not JSON: no status to name */ }
      // Answer the challenge so the broker ends the exchange cleanly; its error is ours to report.
      await saslAuthenticate({ request: { encode: async () => await Promise.resolve(framed(Buffer.from([1]))) } }).catch(() => {})
      throw new BrokerError('auth', `SASL OAUTHBEARER authentication failed: the broker refused the token${status === '' ? '' : ` (${printable(status.slice(0, 100))})`}`)
    },
  })
}

/**
 * kafkajs's response parsers throw on the first error code anywhere in a response: one
 * leaderless partition (LEADER_NOT_AVAILABLE) would fail the whole Metadata answer, and one
 * deleted or forbidden topic the whole DescribeConfigs answer. We read per-partition and
 * per-topic errors ourselves instead. A new response object: kafkajs's are shared modules.
 */
type ProtocolRequest = ReturnType<ReturnType<Broker['lookupRequest']>>

export function lenient (req: ProtocolRequest): ProtocolRequest {
  return { request: req.request, response: { ...(req.response as Record<string, unknown>), parse: async (data: unknown) => await Promise.resolve(data) } }
}

/** DescribeConfigs resource type of a topic (ConfigResource.Type.TOPIC). */
const TOPIC_RESOURCE = 2
const MIN_ISR = 'min.insync.replicas'

function toTopicsMetadata (raw: unknown): TopicsMetadata {
  const r = raw as { topicMetadata?: Array<{ topic: string, topicErrorCode?: number, partitionMetadata?: Array<{ partitionId: number, leader: number, replicas?: number[], isr?: number[] }> }> }
  if (!Array.isArray(r.topicMetadata)) throw new BrokerError('protocol', 'metadata response has no topic list')
  const partitions: PartitionState[] = []
  for (const t of r.topicMetadata) {
    for (const p of t.partitionMetadata ?? []) {
      partitions.push({ topic: t.topic, partition: p.partitionId, leader: p.leader, replicas: p.replicas ?? [], isr: p.isr ?? [] })
    }
  }
  return { brokers: toClusterMetadata(raw).brokers, partitions }
}

function toMinIsr (raw: unknown): Map<string, number> {
  const r = raw as { resources?: Array<{ errorCode?: number, resourceName: string, configEntries?: Array<{ configName: string, configValue: string | null }> }> }
  const out = new Map<string, number>()
  // A topic the broker would not describe (deleted meanwhile, no ACL) is left out: the caller
  // uses the configured value for it alone.
  for (const res of r.resources ?? []) {
    if ((res.errorCode ?? 0) !== 0) continue
    const value = Number(res.configEntries?.find((e) => e.configName === MIN_ISR)?.configValue)
    if (Number.isInteger(value) && value > 0) out.set(res.resourceName, value)
  }
  return out
}

function toClusterMetadata (raw: unknown): ClusterMetadata {
  const r = raw as { clusterId?: string | null, controllerId?: number | null, brokers?: Array<{ nodeId: number, host: string, port: number, rack?: string | null }> }
  if (!Array.isArray(r.brokers)) throw new BrokerError('protocol', 'metadata response has no broker list')
  return {
    clusterId: r.clusterId ?? null,
    controllerId: r.controllerId ?? null,
    brokers: r.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack ?? null })),
  }
}

const TLS_CODE = /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY|EPROTO/

/** JavaScript's own errors: a bad argument or a bug on our side of the wire, never the broker's answer. */
const LOCAL_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError]

export function classify (err: unknown): BrokerError {
  if (err instanceof BrokerError) return err
  if (LOCAL_ERRORS.some((E) => err instanceof E)) return new BrokerError('client', (err as Error).message)
  const e = err as { name?: string, message?: string, code?: string, type?: string }
  const message = e.message ?? String(err)
  if (e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED' || e.type === 'ILLEGAL_SASL_STATE' || e.type === 'UNSUPPORTED_SASL_MECHANISM') {
    return new BrokerError('auth', message)
  }
  if (typeof e.code === 'string' && TLS_CODE.test(e.code)) return new BrokerError('tls', message)
  if (e.name === 'KafkaJSProtocolError' || e.name === 'KafkaJSServerDoesNotSupportApiKey') return new BrokerError('protocol', message)
  return new BrokerError('unreachable', message)
}
