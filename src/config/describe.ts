import { GROUPS, SCHEMA, envName, flagName, type OptionName, type Options } from './schema'
import type { OptionSpec } from './option-types'

const KEYS = Object.keys(SCHEMA) as OptionName[]

function spec (key: OptionName): OptionSpec<unknown> {
  return SCHEMA[key] as OptionSpec<unknown>
}

/** ` (default: 5s)`, or nothing when the default is empty or false: those read as "off". */
function shownDefault (key: OptionName): string {
  const s = spec(key)
  const text = s.format(s.default)
  return text === '' || text === 'false' ? '' : `  (default: ${text})`
}

/** --help: every option with its environment variable and default, generated from the schema. */
export function renderHelp (version: string): string {
  const lines = [
    `kafka-healthz ${version}: Kafka broker health as Kubernetes probes, Prometheus metrics and a status page.`,
    '',
    'Usage:',
    '  kafka-healthz [options]          serve /livez /readyz /startupz /status /metrics /ping',
    '  kafka-healthz check [options]    run the checks once (or until --wait) and exit 0 when healthy, 1 when not',
    '  kafka-healthz ping [--host H] [--port P] [--timeout T]',
    '                                   ask the agent on --host/--port for /ping: exit 0 when it answers 200, 1 otherwise',
    '                                   (a container HEALTHCHECK). Reads only these three options (flag or HEALTHZ_*),',
    '                                   ignores the others and never reads secrets, so it needs none of the serve configuration.',
    '',
    'Every option is also an environment variable; a flag wins over the environment, which wins over the default.',
    'Durations take 250ms, 5s, 1m, 1h30m or plain milliseconds. Bad configuration exits with status 2.',
  ]
  const starts = new Map(GROUPS.map((g) => [g.from, g.title]))
  for (const key of KEYS) {
    const title = starts.get(key)
    if (title !== undefined) lines.push('', `${title}:`)
    const s = spec(key)
    const head = s.secret === true ? `(env only) ${envName(key)}` : `--${flagName(key)}  ${envName(key)}`
    lines.push(`  ${head}${shownDefault(key)}`)
    lines.push(`      ${s.help}`)
  }
  lines.push('')
  lines.push('  -h, --help       show this help', '  --version        print the version')
  return lines.join('\n') + '\n'
}

/**
 * Options as shown in /status and the start-up log, with their types (numbers, booleans and
 * lists as JSON has them; durations as people write them, "5s"): secrets are replaced, never echoed.
 */
export function publicOptions (options: Options): Record<string, unknown> {
  return Object.fromEntries(KEYS.map((key) => {
    const value: unknown = options[key]
    const s = spec(key)
    const shown = s.secret === true ? (value === '' ? '' : '<redacted>') : (s.json ?? s.format)(value)
    return [key, shown]
  }))
}

/** The README's option table; test/readme.test.ts fails when the README and the schema disagree. */
export function renderOptionsTable (): string {
  const rows = KEYS.map((key) => {
    const s = spec(key)
    const flag = s.secret === true ? '(env only)' : `\`--${flagName(key)}\``
    const def = s.format(s.default)
    return `| ${flag} | \`${envName(key)}\` | ${def === '' ? '' : `\`${def}\``} | ${s.help.replace(/\|/g, '\\|')} |`
  })
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n')
}
