import type { ConnectClient } from './client'
import type * as Undici from './undici-client'

/**
 * undici-client.ts (and undici with it) is loaded on the first client, not when the agent
 * starts: a broker sidecar never loads undici. Saves RSS and start time (BENCHMARKS.md,
 * "Footprint").
 */
export function createUndiciConnectClient (opts: Undici.UndiciConnectOptions): ConnectClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load is the point
  const m = require('./undici-client') as typeof Undici
  return m.createUndiciConnectClient(opts)
}
