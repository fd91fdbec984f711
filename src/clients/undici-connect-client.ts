import { Agent } from 'undici'
import type { ConnectTarget } from '../config/connect-target'
import {
  ConnectError, type ConnectClient, type ConnectEndpoint, type ConnectErrorKind, type ConnectRequestObserver, type ConnectorStatus, type WorkerHealth,
} from './connect-client'
import { connectorList, connectorStatus, healthBody, parseJson, tasksMaxOf } from './connect-json'

/**
 * ConnectClient on undici 7 (not Node's fetch: undici's Agent caps body size, and its request()
 * costs the probe server far less CPU than fetch does). Deadlines come from the caller's signal,
 * which bounds the whole call; a body over the cap aborts as soon as the cap is crossed.
 */
export interface UndiciConnectOptions {
  readonly target: ConnectTarget
  readonly userAgent: string
  readonly onRequest?: ConnectRequestObserver
  readonly now?: () => number
}

/** After a 404 on /health, use GET / for this long before asking /health again (workers get upgraded). */
const LEGACY_RECHECK_MS = 5 * 60_000

/** Dots too: a connector named ".." must not become a path segment the worker normalises away. */
export function encodeName (name: string): string {
  return encodeURIComponent(name).replace(/\./g, '%2E')
}

interface Answer { status: number, text: string }

export function createUndiciConnectClient (opts: UndiciConnectOptions): ConnectClient {
  const { target } = opts
  const now = opts.now ?? Date.now
  const dispatcher = new Agent({
    maxResponseSize: target.maxBodyBytes,
    ...(target.tls !== undefined && { connect: target.tls }),
  })
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': opts.userAgent,
    ...target.headers,
    ...(target.auth !== undefined && { authorization: `Basic ${Buffer.from(`${target.auth.username}:${target.auth.password}`).toString('base64')}` }),
  }
  let legacySince: number | undefined
  // origin and path go to undici apart: a full URL string would pass through the WHATWG parser,
  // which turns /connectors/%2E%2E/status into /status.
  const base = new URL(target.url)
  const prefix = base.pathname.replace(/\/+$/, '')

  async function get (endpoint: ConnectEndpoint, path: string, signal: AbortSignal): Promise<Answer> {
    const started = performance.now()
    let failed: ConnectErrorKind | undefined
    try {
      // undici 7's request() follows no redirects: a 3xx arrives here as a status.
      const res = await dispatcher.request({ origin: base.origin, path: prefix + path, method: 'GET', headers, signal })
      if (res.statusCode >= 300 && res.statusCode < 400) {
        await res.body.dump()
        throw new ConnectError('redirect', `${endpoint}: HTTP ${res.statusCode} redirect; point --connect-url at the worker itself`)
      }
      if (res.statusCode === 401 || res.statusCode === 403) {
        await res.body.dump()
        throw new ConnectError('auth', `${endpoint}: HTTP ${res.statusCode} from the worker; check the Connect credentials`)
      }
      return { status: res.statusCode, text: await res.body.text() }
    } catch (err) {
      const e = classify(err, signal)
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

  async function health (signal: AbortSignal): Promise<WorkerHealth> {
    if (legacySince === undefined || now() - legacySince > LEGACY_RECHECK_MS) {
      const a = await get('health', '/health', signal)
      if (a.status !== 404) {
        legacySince = undefined
        const body = healthBody(parseJsonQuietly(a.text))
        if (a.status === 200) return { status: 'healthy', message: body.message, legacy: false }
        if (a.status === 503) return { status: body.status === 'unhealthy' ? 'unhealthy' : 'starting', message: body.message, legacy: false }
        if (a.status === 500) return { status: 'unhealthy', message: body.message, legacy: false }
        throw httpError('health', a)
      }
      legacySince = now()
    }
    const root = await get('root', '/', signal)
    if (root.status !== 200) throw httpError('root', root)
    parseJson(root.text, 'GET /')
    return { status: 'healthy', message: 'worker answers GET / (no /health before Kafka 3.9)', legacy: true }
  }

  async function perConnector (signal: AbortSignal, name: string, withInfo: boolean): Promise<ConnectorStatus | undefined> {
    const status = await get('connector_status', `/connectors/${encodeName(name)}/status`, signal)
    if (status.status === 404) return undefined // deleted after the list was made
    if (status.status !== 200) throw httpError('connector_status', status)
    let tasksMax: number | undefined
    if (withInfo) {
      const info = await get('connector_info', `/connectors/${encodeName(name)}`, signal)
      if (info.status === 404) return undefined
      if (info.status !== 200) throw httpError('connector_info', info)
      tasksMax = tasksMaxOf(parseJson(info.text, `GET /connectors/${name}`))
    }
    return connectorStatus(parseJson(status.text, `GET /connectors/${name}/status`), `status of ${JSON.stringify(name)}`, tasksMax)
  }

  async function connectorStatuses (signal: AbortSignal, { withInfo }: { withInfo: boolean }): Promise<ConnectorStatus[]> {
    const a = await get('connectors', `/connectors?expand=status${withInfo ? '&expand=info' : ''}`, signal)
    if (a.status !== 200) throw httpError('connectors', a)
    const list = connectorList(parseJson(a.text, 'GET /connectors'))
    if (list.expanded) return list.statuses
    const found = await mapLimit(list.names, target.concurrency, async (name) => await perConnector(signal, name, withInfo))
    return found.filter((s) => s !== undefined)
  }

  return {
    health,
    connectorStatuses,
    close: async () => { await dispatcher.close() },
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

/** Runs fn over items with at most `limit` in flight; the first failure fails the whole call. */
async function mapLimit<T, R> (items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length)
  let next = 0
  async function worker (): Promise<void> {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

function classify (err: unknown, signal: AbortSignal): ConnectError {
  if (err instanceof ConnectError) return err
  const e = err as { code?: string, name?: string, message?: string, cause?: { code?: string, message?: string } }
  const code = e.code ?? e.cause?.code ?? ''
  const message = e.cause?.message ?? e.message ?? String(err)
  if (signal.aborted || e.name === 'AbortError' || code === 'UND_ERR_ABORTED') return new ConnectError('aborted', 'deadline passed')
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE') return new ConnectError('too-large', 'response body is larger than --connect-max-body-bytes')
  // Refused, reset, DNS, TLS: the worker cannot be talked to. The code says which.
  return new ConnectError('unreachable', code === '' || message.includes(code) ? message : `${code}: ${message}`)
}
