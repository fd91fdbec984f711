import { Agent, request } from './undici-parts'
import type { ConnectTarget } from '../config/connect-target'
import {
  ConnectError, shortName, type ConnectClient, type ConnectorStatus, type ConnectEndpoint, type ConnectErrorKind, type ConnectRequestObserver, type RestartOutcome,
  type SinkConfig, type WorkerHealth,
} from './client'
import { connectorList, connectorStatus, healthBody, parseJson, sinkConfigOf, tasksMaxOf, type ConnectorList } from './json'

/**
 * ConnectClient on undici 7 (not Node's fetch: undici's Agent caps body size, and its requests
 * cost the probe server far less CPU than fetch does). The caller's signal bounds each call;
 * undici's own header/body timers, set to the same value, are the backstop for anything that
 * outlives it. A body over the cap aborts as soon as the cap is crossed.
 */
export interface UndiciConnectOptions {
  readonly target: ConnectTarget
  readonly timeoutMs: number
  readonly userAgent: string
  readonly onRequest?: ConnectRequestObserver
}


/** Dots too: a connector named ".." must not become a path segment the worker normalises away. */
export function encodeName (name: string): string {
  return encodeURIComponent(name).replace(/\./g, '%2E')
}

interface Answer {
  readonly status: number
  readonly body: Buffer
  /** The body decoded as UTF-8 (a BOM dropped, as undici's text() does), on first use. */
  readonly text: string
}

function answer (status: number, body: Buffer): Answer {
  let text: string | undefined
  const decode = (): string => {
    // Buffer's decoder is the fastest Node has; it keeps a BOM, which JSON.parse would refuse.
    const s = body.toString('utf8')
    return s.charCodeAt(0) === 0xFEFF ? s.slice(1) : s
  }
  return { status, body, get text () { return (text ??= decode()) } }
}

/**
 * The last 200 body of one endpoint and what was made of it. A worker at rest sends the same
 * bytes run after run (its maps iterate in the same order while nothing changes), and parsing a
 * megabyte of JSON is most of a big worker's run: an identical body reuses the last result. The
 * result is immutable (readonly all the way down), so sharing it between runs is safe.
 */
interface BodyMemo<T> {
  /** The last 200 body, for readBody to compare the next one with as it arrives. */
  readonly previous: () => Buffer | undefined
  /** Interprets a 200 answer, or returns the last result when readBody handed back the last body. */
  readonly read: (a: Answer, interpret: (a: Answer) => T) => T
}

function bodyMemo<T> (): BodyMemo<T> {
  let last: { body: Buffer, value: T } | undefined
  return {
    previous: () => last?.body,
    read: (a, interpret) => {
      if (last?.body === a.body) return last.value
      const value = interpret(a)
      last = { body: a.body, value }
      return value
    },
  }
}

/**
 * Reads a body, comparing it with `previous` chunk by chunk as it arrives. While the bytes match,
 * chunks are dropped at once and nothing is concatenated; the same bytes end as `previous`
 * itself. Concatenating a megabyte per run only to find it unchanged kept V8 collecting the
 * whole heap for the external memory every few seconds (--trace-gc).
 */
export async function readBody (body: AsyncIterable<Buffer>, previous: Buffer | undefined): Promise<Buffer> {
  let matched = 0
  let differs = previous === undefined
  const rest: Buffer[] = []
  for await (const chunk of body) {
    if (!differs && previous !== undefined && matched + chunk.length <= previous.length &&
      previous.compare(chunk, 0, chunk.length, matched, matched + chunk.length) === 0) {
      matched += chunk.length
      continue
    }
    differs = true
    rest.push(chunk)
  }
  if (previous !== undefined && !differs && matched === previous.length) return previous
  return previous === undefined || matched === 0 ? Buffer.concat(rest) : Buffer.concat([previous.subarray(0, matched), ...rest])
}

export function createUndiciConnectClient (opts: UndiciConnectOptions): ConnectClient {
  const { target } = opts
  const dispatcher = new Agent({
    maxResponseSize: target.maxBodyBytes,
    headersTimeout: opts.timeoutMs,
    bodyTimeout: opts.timeoutMs,
    ...(target.tls !== undefined && { connect: target.tls }),
  })
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': opts.userAgent,
    ...target.headers,
    ...(target.auth !== undefined && { authorization: `Basic ${Buffer.from(`${target.auth.username}:${target.auth.password}`).toString('base64')}` }),
  }
  // origin and path go to undici apart: a full URL string would pass through the WHATWG parser,
  // which turns /connectors/%2E%2E/status into /status.
  const base = new URL(target.url)
  const prefix = base.pathname.replace(/\/+$/, '')
  let hasHealth = false
  const statusBodies = bodyMemo<{ expanded: true, statuses: readonly ConnectorStatus[] } | { expanded: false, names: string[] }>()
  const infoBodies = bodyMemo<ConnectorList<number | undefined>>()
  const sinkBodies = bodyMemo<ConnectorList<unknown>>()

  /**
   * One request (a GET unless said otherwise), interpreted. The outcome is reported after
   * `interpret` ran, so an HTTP 500 or a body that is not JSON counts as a failed request in the
   * metrics, not only a dead socket.
   */
  async function call<T> (
    endpoint: ConnectEndpoint, path: string, signal: AbortSignal, interpret: (a: Answer) => T,
    how: { method?: 'GET' | 'POST', memo?: BodyMemo<T>, waitMs?: number } = {},
  ): Promise<T> {
    const started = performance.now()
    let failed: ConnectErrorKind | undefined
    try {
      // undici's dispatcher follows no redirects: a 3xx arrives here as a status.
      const res = await request(dispatcher, {
        origin: base.origin, path: prefix + path, method: how.method ?? 'GET', headers, signal,
        ...(how.waitMs !== undefined && { headersTimeout: how.waitMs, bodyTimeout: how.waitMs }),
      })
      if (res.statusCode >= 300 && res.statusCode < 400) {
        await res.body.dump()
        throw new ConnectError('redirect', `${endpoint}: HTTP ${res.statusCode} redirect; point --connect-url at the worker itself`)
      }
      if (res.statusCode === 401 || res.statusCode === 403) {
        await res.body.dump()
        throw new ConnectError('auth', `${endpoint}: HTTP ${res.statusCode} from the worker; check the Connect credentials`)
      }
      const memo = res.statusCode === 200 ? how.memo : undefined
      const a = answer(res.statusCode, await readBody(res.body, memo?.previous()))
      return memo === undefined ? interpret(a) : memo.read(a, interpret)
    } catch (err) {
      const e = classify(err, signal, base.protocol === 'https:')
      failed = e.kind
      throw e
    } finally {
      opts.onRequest?.(endpoint, (performance.now() - started) / 1000, failed)
    }
  }

  function httpError (endpoint: ConnectEndpoint, a: Answer): ConnectError {
    const body = parseJsonQuietly(a.text)
    const message = typeof body?.message === 'string' ? `: ${body.message.slice(0, 200)}` : ''
    return new ConnectError('http', `${endpoint}: HTTP ${a.status}${message}`)
  }

  function expectOk (endpoint: ConnectEndpoint, what: string, a: Answer): unknown {
    if (a.status !== 200) throw httpError(endpoint, a)
    return parseJson(a.text, what)
  }

  /**
   * A 404 on /health means a worker before Kafka 3.9 (KIP-1017), judged by GET / instead, until
   * it has once answered /health: /health is asked on every run until then (one small 404 a
   * run on an old worker), so a new worker that 404s while its REST resources load is judged by
   * /health as soon as it can answer, not by GET / for minutes. After that, a 404 on /health is
   * a failure: the worker, or whatever routes to it, is not what it was.
   */
  async function health (signal: AbortSignal, waitMs?: number): Promise<WorkerHealth> {
    const h = await call('health', '/health', signal, (a): WorkerHealth | undefined => {
      if (a.status === 404) {
        if (hasHealth) throw new ConnectError('http', 'health: HTTP 404 from a worker that has answered /health before')
        return undefined
      }
      const body = healthBody(parseJsonQuietly(a.text))
      if (a.status === 200) return { status: 'healthy', message: body.message, legacy: false }
      // KIP-1017: 503 while starting (live, not ready), 500 when unhealthy.
      if (a.status === 503) return { status: body.status === 'unhealthy' ? 'unhealthy' : 'starting', message: body.message, legacy: false }
      if (a.status === 500) return { status: 'unhealthy', message: body.message, legacy: false }
      throw httpError('health', a)
    }, waitMs === undefined ? {} : { waitMs })
    if (h !== undefined) {
      hasHealth = true
      return h
    }
    await root(signal)
    return { status: 'healthy', message: 'worker answers GET / (no /health before Kafka 3.9)', legacy: true }
  }

  async function root (signal: AbortSignal): Promise<void> {
    await call('root', '/', signal, (a) => { expectOk('root', 'GET /', a) })
  }

  return {
    health,
    root,
    connectorStatuses: async (signal) => {
      const list = await call('connectors', '/connectors?expand=status', signal, (a) => {
        const l = connectorList(expectOk('connectors', 'GET /connectors', a), 'status', connectorStatus)
        return l.expanded ? { expanded: true as const, statuses: l.entries.map(([, s]) => s) } : l
      }, { memo: statusBodies })
      // The same array as the last run's when the body was the same: the check skips its
      // evaluation then.
      if (list.expanded) return list.statuses
      const found = await mapLimit(list.names, target.concurrency, signal, async (name, sig) =>
        await call('connector_status', `/connectors/${encodeName(name)}/status`, sig, (a) =>
          // 404: deleted after the list was made.
          a.status === 404 ? undefined : connectorStatus(expectOk('connector_status', `GET /connectors/${shortName(name)}/status`, a), `status of ${JSON.stringify(shortName(name))}`)))
      return found.filter((s) => s !== undefined)
    },
    connectorTasksMax: async (signal) => {
      const list = await call('connectors', '/connectors?expand=info', signal,
        (a) => connectorList(expectOk('connectors', 'GET /connectors', a), 'info', (v) => tasksMaxOf(v)), { memo: infoBodies })
      const pairs = list.expanded
        ? list.entries
        : await mapLimit(list.names, target.concurrency, signal, async (name, sig): Promise<[string, number | undefined]> =>
          [name, await call('connector_info', `/connectors/${encodeName(name)}`, sig, (a) =>
            a.status === 404 ? undefined : tasksMaxOf(expectOk('connector_info', `GET /connectors/${shortName(name)}`, a)))])
      return new Map(pairs.filter((p): p is [string, number] => p[1] !== undefined))
    },
    sinkConfigs: async (signal) => {
      const list = await call('connectors', '/connectors?expand=info', signal,
        (a) => connectorList(expectOk('connectors', 'GET /connectors', a), 'info', (v) => v), { memo: sinkBodies })
      const pairs = list.expanded
        ? list.entries
        : await mapLimit(list.names, target.concurrency, signal, async (name, sig): Promise<[string, unknown]> =>
          [name, await call('connector_info', `/connectors/${encodeName(name)}`, sig, (a) =>
            a.status === 404 ? undefined : expectOk('connector_info', `GET /connectors/${shortName(name)}`, a))])
      const out = new Map<string, SinkConfig>()
      for (const [name, info] of pairs) {
        const c = sinkConfigOf(info, name)
        if (c !== undefined) out.set(name, c)
      }
      return out
    },
    restartConnector: async (name, signal) =>
      await call('connector_restart', `/connectors/${encodeName(name)}/restart?includeTasks=true&onlyFailed=true`, signal, (a): RestartOutcome => {
        // The 202 body is the connector's status with RESTARTING marked; the next run reads the real one.
        if (a.status === 202) return 'accepted'
        // Before Kafka 3.0 the worker ignores the query: only the connector instance restarted.
        if (a.status === 204 || a.status === 200) return 'legacy'
        if (a.status === 404) return 'gone'
        if (a.status === 409) return 'rebalancing'
        throw httpError('connector_restart', a)
      }, { method: 'POST' }),
    close: async () => { await dispatcher.destroy() },
  }
}

function parseJsonQuietly (text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text)
    return typeof v === 'object' && v !== null ? v as Record<string, unknown> : undefined
  } catch {
    return undefined
  }
}

/**
 * Runs fn over items with at most `limit` in flight. On the first failure, or when `signal`
 * aborts, the calls still in flight are aborted and no new one starts: nothing outlives the run.
 */
async function mapLimit<T, R> (items: readonly T[], limit: number, signal: AbortSignal, fn: (item: T, signal: AbortSignal) => Promise<R>): Promise<R[]> {
  const child = new AbortController()
  const onAbort = (): void => { child.abort() }
  signal.addEventListener('abort', onAbort, { once: true })
  const out: R[] = new Array<R>(items.length)
  let next = 0
  async function worker (): Promise<void> {
    while (next < items.length && !child.signal.aborted) {
      const i = next++
      out[i] = await fn(items[i] as T, child.signal)
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
    if (child.signal.aborted) throw new ConnectError('aborted', 'deadline passed')
    return out
  } finally {
    child.abort()
    signal.removeEventListener('abort', onAbort)
  }
}

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_)|CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/

// UND_ERR_DESTROYED and UND_ERR_CLOSED: our own client was closed under the request (a rotation
// retiring it, or shutdown), not the worker going away.
const LOCAL_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'UND_ERR_INVALID_RETURN_VALUE', 'UND_ERR_DESTROYED', 'UND_ERR_CLOSED'])
const DEADLINE_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])
const LOCAL_ERRORS = [TypeError, RangeError, ReferenceError, SyntaxError]

function classify (err: unknown, signal: AbortSignal, overTls: boolean): ConnectError {
  if (err instanceof ConnectError) return err
  const e = err as { code?: string, name?: string, message?: string, cause?: { code?: string, message?: string }, socket?: { bytesRead?: number } }
  const code = e.code ?? e.cause?.code ?? ''
  const message = e.cause?.message ?? e.message ?? String(err)
  if (signal.aborted || e.name === 'AbortError' || code === 'UND_ERR_ABORTED') return new ConnectError('aborted', 'deadline passed')
  // undici's own idle timers are set to the run's deadline and can fire a hair before it: the
  // same silence, so the same reason (TIMEOUT), not a flip to CONNECT_UNREACHABLE now and then.
  if (DEADLINE_CODES.has(code)) return new ConnectError('aborted', `no answer within the deadline (${code})`)
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new ConnectError('too-large', 'response body is larger than --connect-max-body-bytes')
  // undici refused to send the request (a header it will not carry, a bad argument), or our code
  // failed: nothing was asked of the worker, so nothing can be said of it.
  if (LOCAL_CODES.has(code) || LOCAL_ERRORS.some((E) => err instanceof E)) return new ConnectError('client', `the agent could not send the request: ${message}`)
  const text = code === '' || message.includes(code) ? message : `${code}: ${message}`
  if (TLS_CODE.test(code)) return new ConnectError('tls', text)
  // undici writes a request only once the TLS handshake is done, so a socket that closed having
  // read no byte of answer met a worker that completed a handshake with us and then hung up.
  // Jetty does that to a client without the certificate ssl.client.auth=required asks for, often
  // before its alert is read. The worker is alive; the mistake is on our side. As "unreachable"
  // it failed liveness: a restart loop of a healthy worker (seen against real Connect 3.9 and 4.3).
  if (overTls && code === 'UND_ERR_SOCKET' && e.socket?.bytesRead === 0) {
    return new ConnectError('tls', `the worker closed the TLS connection after the handshake without answering (${text}); does it require a client certificate (--connect-tls-cert-file), or refuse this one?`)
  }
  // Refused, reset, DNS, timeouts of our backstop timers: the worker cannot be talked to.
  return new ConnectError('unreachable', text)
}
