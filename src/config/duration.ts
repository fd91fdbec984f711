const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/

/**
 * Parses `250ms`, `5s`, `1.5s`, `1m`, `1h` or plain milliseconds (`250`).
 * Returns undefined for anything else so the caller can name the option in its error.
 * Deliberately strict: `5 s` or `1 minute` are typos in a pod spec, not inputs to guess at.
 */
export function parseDuration (raw: string): number | undefined {
  const m = DURATION.exec(raw.trim())
  if (m === null) return undefined
  const ms = Number(m[1]) * (UNIT_MS[m[2] ?? 'ms'] ?? 1)
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}

/** The shortest exact spelling of a millisecond count, for --help and /status. */
export function formatDuration (ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}
