import type { Logger } from 'pino'
import type * as Kafkajs from './kafkajs-offsets-client'
import type { OffsetsClient, OffsetsClientOptions } from './offsets'

/**
 * Loads kafkajs on the first offsets client only: a Connect sidecar without sink progress never
 * loads it (BENCHMARKS.md, "Footprint").
 */
export function createKafkajsOffsetsClient (opts: OffsetsClientOptions & { readonly logger: Logger }): OffsetsClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a lazy load is the point
  const m = require('./kafkajs-offsets-client') as typeof Kafkajs
  return m.createKafkajsOffsetsClient(opts)
}
