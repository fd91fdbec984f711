import { readFileSync } from 'node:fs'
import type { Dispatcher } from 'undici'
import type { OAuthSource } from '../config/resolve'
import { printable } from '../core/printable'
import { BrokerError } from './client'

/** kafkajs's OAUTHBEARER callback: called at every authentication (every new connection). */
export type OAuthProvider = () => Promise<{ value: string }>

export interface OAuthDeps {
  readonly timeoutMs: number
  /** Tests swap these. */
  readonly readFile?: (path: string) => string
  readonly now?: () => number
}

/** Renew this long before a token expires, or at 80% of its life if that is sooner. */
const RENEW_BEFORE_MS = 60_000

/**
 * Where OAUTHBEARER tokens come from. A file is read at every authentication, so a token that a
 * controller rewrites (a projected service-account token, a sidecar that refreshes it) rotates
 * on its own. An OIDC endpoint is asked with the client-credentials grant (RFC 6749 §4.4, client
 * secret sent as HTTP basic auth) and its token reused until shortly before it expires. Failures
 * are BrokerError 'auth': our credentials, never the broker being down. Secrets never reach a
 * message; what the endpoint says goes through printable() and is cut short.
 */
export function oauthProvider (source: OAuthSource, deps: OAuthDeps): OAuthProvider {
  if (source.kind === 'file') {
    const read = deps.readFile ?? ((p: string) => readFileSync(p, 'utf8'))
    return async () => {
      let token: string
      try {
        token = read(source.path).trim()
      } catch (err) {
        throw new BrokerError('auth', `OAUTHBEARER token file ${source.path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`)
      }
      if (token === '') throw new BrokerError('auth', `OAUTHBEARER token file ${source.path} is empty`)
      return await Promise.resolve({ value: token })
    }
  }
  const now = deps.now ?? Date.now
  let cached: { value: string, renewAt: number } | undefined
  let inFlight: Promise<{ value: string, renewAt: number }> | undefined
  const fetchToken = async (): Promise<{ value: string, renewAt: number }> => {
    const body = new URLSearchParams({ grant_type: 'client_credentials', ...(source.scope !== '' && { scope: source.scope }) }).toString()
    const basic = Buffer.from(`${encodeURIComponent(source.clientId)}:${encodeURIComponent(source.clientSecret)}`).toString('base64')
    // undici loads only when an OIDC endpoint is configured: a broker sidecar without one never
    // loads it (its index alone is ~9 MiB of RSS, BENCHMARKS.md "Footprint").
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load is the point
    const { request } = require('undici') as { request: (url: string, opts: Dispatcher.RequestOptions | Omit<Dispatcher.RequestOptions, 'origin' | 'path' | 'method'> & { method?: Dispatcher.HttpMethod }) => Promise<Dispatcher.ResponseData> }
    let res
    try {
      res = await request(source.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${basic}`, accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(deps.timeoutMs),
        headersTimeout: deps.timeoutMs,
        bodyTimeout: deps.timeoutMs,
      })
    } catch (err) {
      throw new BrokerError('auth', `OAUTHBEARER token endpoint ${source.tokenUrl}: ${err instanceof Error ? err.message : String(err)}`)
    }
    const text = (await res.body.text()).slice(0, 64 * 1024)
    let json: Record<string, unknown> = {}
    try { json = JSON.parse(text) as Record<string, unknown> } catch { /* said below */ }
    if (res.statusCode !== 200 || typeof json.access_token !== 'string' || json.access_token === '') {
      const said = typeof json.error === 'string' ? `: ${printable(json.error.slice(0, 100))}${typeof json.error_description === 'string' ? ` (${printable(json.error_description.slice(0, 200))})` : ''}` : ''
      throw new BrokerError('auth', `OAUTHBEARER token endpoint ${source.tokenUrl} answered HTTP ${res.statusCode}${res.statusCode === 200 ? ' without an access_token' : ''}${said}`)
    }
    const lifeMs = typeof json.expires_in === 'number' && json.expires_in > 0 ? json.expires_in * 1000 : 5 * 60_000
    return { value: json.access_token, renewAt: now() + Math.min(lifeMs * 0.8, lifeMs - RENEW_BEFORE_MS) }
  }
  return async () => {
    if (cached !== undefined && now() < cached.renewAt) return { value: cached.value }
    // Connections dialled at once share one request to the endpoint.
    inFlight ??= fetchToken().finally(() => { inFlight = undefined })
    cached = await inFlight
    return { value: cached.value }
  }
}
