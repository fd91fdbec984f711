import type { Agent as AgentType, Dispatcher } from 'undici'

/**
 * undici's Agent and request() from their own modules, not from undici's index: the index loads
 * all of undici (fetch, WebSocket, EventSource, caches, mocks: 110 modules) for the 31 this
 * client uses, and that was 9 MiB of RSS on Node 20 and 14 MiB on Node 24 (BENCHMARKS.md,
 * "Footprint"). The index only adds request() to Dispatcher.prototype; here it is called on the
 * agent directly. The paths are undici 7's (package-lock.json pins the version; the client's
 * tests load them).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- undici's own modules, see above */
export const Agent = require('undici/lib/dispatcher/agent') as typeof AgentType
const apiRequest = require('undici/lib/api/api-request') as (this: Dispatcher, opts: Dispatcher.RequestOptions) => Promise<Dispatcher.ResponseData>
/* eslint-enable @typescript-eslint/no-require-imports */

export async function request (dispatcher: Dispatcher, opts: Dispatcher.RequestOptions): Promise<Dispatcher.ResponseData> {
  return await apiRequest.call(dispatcher, opts)
}
