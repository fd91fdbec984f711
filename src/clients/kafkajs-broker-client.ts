import Broker from 'kafkajs/src/broker'
import connectionPoolBuilder from 'kafkajs/src/cluster/connectionPoolBuilder'
import { LEVELS, createLogger } from 'kafkajs/src/loggers'
import socketFactory from 'kafkajs/src/network/socketFactory'
import Encoder from 'kafkajs/src/protocol/encoder'
import { requests } from 'kafkajs/src/protocol/requests'
import apiKeys from 'kafkajs/src/protocol/requests/apiKeys'
import type { Logger } from 'pino'
import type { KafkaTarget } from '../config/resolve'
import { BrokerError, type BrokerClient, type ClusterMetadata } from './broker-client'

/**
 * BrokerClient on kafkajs 2.2.4. The one file that knows kafkajs.
 *
 * It uses kafkajs's internal Broker on a connection pool with a single address, rather than
 * the public Admin client, for two reasons: Admin may send any request to any broker from the
 * metadata (we must hear from the local one), and kafkajs encodes an empty topic list as null,
 * which asks for every topic (our cost must not grow with topics).
 */
export interface KafkajsClientOptions {
  readonly target: KafkaTarget
  /** Bounds kafkajs's own connect/request timers, so an abandoned call still ends. */
  readonly timeoutMs: number
  readonly logger: Logger
}

interface KafkajsLogEntry { namespace: string, level: number, label: string, log: { message: string } & Record<string, unknown> }

export function createKafkajsBrokerClient (opts: KafkajsClientOptions): BrokerClient {
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

  let current: Promise<Broker> | undefined

  async function connect (): Promise<Broker> {
    const pool = await connectionPoolBuilder({
      socketFactory: socketFactory(),
      brokers: [opts.target.address],
      clientId: opts.target.clientId,
      ssl: opts.target.tls ?? false,
      sasl: opts.target.sasl,
      connectionTimeout: opts.timeoutMs,
      requestTimeout: opts.timeoutMs,
      enforceRequestTimeout: true,
      logger,
    }).build({ host: opts.target.host, port: opts.target.port })
    const broker = new Broker({ connectionPool: pool, logger, allowAutoTopicCreation: false, authenticationTimeout: opts.timeoutMs })
    try {
      await broker.connect() // ApiVersions, then SASL when configured
    } catch (err) {
      void broker.disconnect().catch(() => {})
      throw err
    }
    return broker
  }

  /** Drops the connection so the next call dials afresh: after a timeout we cannot trust the socket. */
  function reset (stale: Promise<Broker>): void {
    if (current !== stale) return
    current = undefined
    stale.then(async (b) => { await b.disconnect() }).catch(() => {})
  }

  async function call<T> (signal: AbortSignal, fn: (broker: Broker) => Promise<T>): Promise<T> {
    if (signal.aborted) throw new BrokerError('aborted', 'deadline passed before the call')
    current ??= connect()
    const conn = current
    const attempt = conn.then(fn)
    let onAbort: (() => void) | undefined
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => { reject(new BrokerError('aborted', 'deadline passed')) }
      signal.addEventListener('abort', onAbort, { once: true })
    })
    try {
      return await Promise.race([attempt, aborted])
    } catch (err) {
      // Any failure, ours or the peer's, may have left the socket half-dead: start over next time.
      reset(conn)
      throw classify(err)
    } finally {
      if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
      attempt.catch(() => {}) // the loser of the race must not become an unhandled rejection
    }
  }

  return {
    ping: async (signal) => {
      await call(signal, async (b) => { await b.apiVersions() })
    },
    clusterMetadata: async (signal) => await call(signal, async (b) => {
      const meta = b.lookupRequest(apiKeys.Metadata as number, requests.Metadata)({ topics: [], allowAutoTopicCreation: false })
      const version = meta.request.apiVersion
      // An empty array, not null: null means "all topics" from v1 on.
      meta.request.encode = () => {
        const e = new Encoder().writeArray([])
        return Promise.resolve(version >= 4 ? e.writeBoolean(false) : e)
      }
      return toClusterMetadata(await b.connectionPool.send(meta))
    }),
    close: async () => {
      const conn = current
      current = undefined
      if (conn !== undefined) await conn.then(async (b) => { await b.disconnect() }).catch(() => {})
    },
  }
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

function classify (err: unknown): BrokerError {
  if (err instanceof BrokerError) return err
  const e = err as { name?: string, message?: string, code?: string, type?: string }
  const message = e.message ?? String(err)
  if (e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED' || e.type === 'ILLEGAL_SASL_STATE' || e.type === 'UNSUPPORTED_SASL_MECHANISM') {
    return new BrokerError('auth', message)
  }
  if (typeof e.code === 'string' && TLS_CODE.test(e.code)) return new BrokerError('tls', message)
  if (e.name === 'KafkaJSProtocolError' || e.name === 'KafkaJSServerDoesNotSupportApiKey') return new BrokerError('protocol', message)
  return new BrokerError('unreachable', message)
}
