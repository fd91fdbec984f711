const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y
const ORDER = ['h', 'm', 's', 'ms']

/**
 * Parses `250ms`, `5s`, `1.5s`, `1m`, `1h`, compounds as Go and Kubernetes write them (`1h30m`,
 * `2m30s`, `1m0.5s`: largest unit first, each once), or plain milliseconds (`250`). Returns
 * undefined for anything else so the caller can name the option in its error. Deliberately
 * strict: `5 s` or `1 minute` are typos in a pod spec, not inputs to guess at.
 */
export function parseDuration (raw: string): number | undefined {
  const text = raw.trim()
  if (/^\d+(?:\.\d+)?$/.test(text)) return finite(Number(text))
  let ms = 0
  let last = -1
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const m = PART.exec(text)
    if (m === null) return undefined
    const unit = m[2] ?? ''
    const rank = ORDER.indexOf(unit)
    if (rank <= last) return undefined
    last = rank
    ms += Number(m[1]) * (UNIT_MS[unit] ?? 1)
  }
  return text === '' ? undefined : finite(ms)
}

function finite (ms: number): number | undefined {
  return Number.isFinite(ms) ? Math.round(ms) : undefined
}

/** The shortest exact spelling of a millisecond count, for --help and /status. */
export function formatDuration (ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`
  return `${ms}ms`
}
