import { formatDuration, parseDuration } from './duration'

/**
 * One option of the agent. The schema in schema.ts is a record of these: flags, environment
 * variables, defaults, validation, --help and the README table all come from it.
 */
export interface OptionSpec<T> {
  readonly help: string
  readonly default: T
  /** What a valid value looks like, quoted in errors: "--port: got "x", expected an integer from 1 to 65535". */
  readonly expected: string
  /** Returns undefined when the raw text is not a valid value. */
  readonly parse: (raw: string) => T | undefined
  readonly format: (value: T) => string
  /** The value as JSON keeps it (numbers, booleans, lists) in /status and the start-up log; default: format. */
  readonly json?: (value: T) => unknown
  /** How a refused raw value is shown in the error, when it may hold a secret in part. */
  readonly show?: (raw: string) => string
  /** Secrets are read from the environment or a file only: a flag would show in `ps` and in the pod spec. */
  readonly secret?: true
  /** Options that only the one-shot `check` command reads. */
  readonly oneShot?: true
}

type Extra = Pick<OptionSpec<unknown>, 'secret' | 'oneShot'>

export function str (help: string, def = '', extra: Extra = {}): OptionSpec<string> {
  return { help, default: def, expected: 'a string', parse: (raw) => raw, format: (v) => v, ...extra }
}

export function int (help: string, def: number, min: number, max: number): OptionSpec<number> {
  return {
    help,
    default: def,
    expected: `an integer from ${min} to ${max}`,
    parse: (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return undefined
      const n = Number(raw)
      return n >= min && n <= max ? n : undefined
    },
    format: String,
    json: (v) => v,
  }
}

/** Node timers take at most 2^31-1 ms (longer ones fire at once); a day is plenty for any option. */
const MAX_DURATION_MS = 86_400_000

export function duration (help: string, def: number, min = 1, extra: Extra = {}): OptionSpec<number> {
  return {
    help,
    default: def,
    expected: `a duration like 250ms, 5s, 1m or 1h30m (at least ${formatDuration(min)}, at most ${formatDuration(MAX_DURATION_MS)})`,
    parse: (raw) => {
      const ms = parseDuration(raw)
      return ms !== undefined && ms >= min && ms <= MAX_DURATION_MS ? ms : undefined
    },
    format: formatDuration,
    ...extra,
  }
}

export function bool (help: string, def = false): OptionSpec<boolean> {
  return {
    help,
    default: def,
    expected: 'true or false',
    parse: (raw) => {
      const v = raw.trim().toLowerCase()
      if (v === 'true' || v === '1' || v === 'yes') return true
      if (v === 'false' || v === '0' || v === 'no') return false
      return undefined
    },
    format: String,
    json: (v) => v,
  }
}

export function oneOf<const C extends readonly string[]> (help: string, choices: C, def: C[number], extra: Extra = {}): OptionSpec<C[number]> {
  return {
    help,
    default: def,
    expected: `one of ${choices.join(', ')}`,
    parse: (raw) => choices.find((c) => c === raw.trim().toLowerCase()),
    format: (v) => v,
    ...extra,
  }
}

/** host:port, with IPv6 hosts in brackets ([::1]:9092). Empty means "not configured". */
export function address (help: string, def = ''): OptionSpec<string> {
  return {
    help,
    default: def,
    expected: 'host:port, e.g. localhost:9092 or [::1]:9092',
    parse: (raw) => {
      const v = raw.trim()
      if (v === '') return ''
      const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s,]+):(\d{1,5})$/.exec(v)
      return m !== null && Number(m[2]) >= 1 && Number(m[2]) <= 65535 ? v : undefined
    },
    format: (v) => v,
    // Someone may paste a client URL with credentials (SASL_SSL://user:pw@host:9092).
    show: (raw) => JSON.stringify(redactUrl(raw.trim())),
  }
}

/** The URL with whatever may be a secret in it (user:password, query, fragment) replaced. */
export function redactUrl (raw: string): string {
  return raw
    // userinfo: up to the last @ before the path, with or without a scheme (user:pw@host:9092).
    .replace(/^([a-zA-Z][a-zA-Z0-9+._-]*:\/\/)?[^/?#]*@/, '$1<redacted>@')
    .replace(/[?#].*$/s, (rest) => `${rest[0] ?? ''}<redacted>`)
}

/** A comma-separated list; blanks are dropped so a trailing comma is harmless. */
export function list (help: string, def: readonly string[], expected: string, item: (raw: string) => boolean = () => true): OptionSpec<readonly string[]> {
  return {
    help,
    default: def,
    expected,
    parse: (raw) => {
      const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '')
      return items.every(item) ? items : undefined
    },
    format: (v) => v.join(','),
    json: (v) => v,
  }
}

/** An http(s) URL without credentials in it (they belong in the credential options). Empty means "not configured". */
export function httpUrl (help: string): OptionSpec<string> {
  return {
    help,
    default: '',
    // Credentials go in --connect-username and a password file, never in the URL: a URL is
    // shown in /status, logs and errors, and one with user:password in it would show them too.
    expected: 'an http:// or https:// URL without user:password, query or fragment, e.g. http://localhost:8083 (credentials: --connect-username and HEALTHZ_CONNECT_PASSWORD or --connect-password-file)',
    parse: (raw) => {
      const v = raw.trim()
      if (v === '') return ''
      try {
        const u = new URL(v)
        // A query or fragment would be dropped from every request and shown in /status: refuse it.
        const plain = u.username === '' && u.password === '' && u.search === '' && u.hash === '' && !v.includes('?') && !v.includes('#')
        return (u.protocol === 'http:' || u.protocol === 'https:') && plain ? v.replace(/\/+$/, '') : undefined
      } catch {
        return undefined
      }
    },
    format: (v) => v,
    show: (raw) => JSON.stringify(redactUrl(raw.trim())),
  }
}
