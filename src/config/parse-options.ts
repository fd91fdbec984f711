import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ENV_PREFIX, SCHEMA, envName, flagName, type OptionName, type Options } from './schema'
import type { OptionSpec } from './option-types'
import { closest } from './suggest'

/** A configuration mistake: reported as one line and exit status 2, never with a stack trace. */
export class ConfigError extends Error {
  override name = 'ConfigError'
}

export interface ParsedArgs {
  command: 'serve' | 'check' | 'ping'
  help: boolean
  version: boolean
  options: Options
}

const KEYS = Object.keys(SCHEMA) as OptionName[]
const BY_FLAG = new Map(KEYS.map((k) => [flagName(k), k]))
const BY_ENV = new Map(KEYS.map((k) => [envName(k), k]))

const PARSE_ARGS_OPTIONS: ParseArgsConfig['options'] = {
  ...Object.fromEntries(KEYS.map((k) => [flagName(k), { type: isBool(k) ? 'boolean' : 'string' }] as const)),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
}

/**
 * Kubernetes injects <SERVICE>_SERVICE_HOST, <SERVICE>_PORT=tcp://… and friends for every
 * Service in the namespace (unless enableServiceLinks is false). A Service named "healthz"
 * would otherwise stop the agent with an "unknown variable" or a bad --port.
 */
export function isServiceLink (name: string, value: string): boolean {
  const rest = name.slice(ENV_PREFIX.length)
  if (/^SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?$/.test(rest) || /^PORT_\d+_(TCP|UDP|SCTP)(_[A-Z]+)?$/.test(rest)) return true
  return rest === 'PORT' && /^(tcp|udp|sctp):\/\//.test(value)
}

/** "did you mean --interval? " when a known name is close to the typo, else nothing. */
function hint (name: string, known: Iterable<string>, prefix = ''): string {
  const guess = closest(name, known)
  return guess === undefined ? '' : `did you mean ${prefix}${guess}? `
}

function spec (key: OptionName): OptionSpec<unknown> {
  return SCHEMA[key] as OptionSpec<unknown>
}

function isBool (key: OptionName): boolean {
  return typeof SCHEMA[key].default === 'boolean'
}

function convert (key: OptionName, raw: string, source: string): unknown {
  const s = spec(key)
  const value = s.parse(raw)
  if (value === undefined) {
    const shown = s.secret === true ? '<redacted>' : s.show?.(raw) ?? JSON.stringify(raw)
    throw new ConfigError(`${source}: got ${shown}, expected ${s.expected}`)
  }
  return value
}

/** Where each option given was set: its flag, or its environment variable. */
const SOURCES = new WeakMap<Options, Partial<Record<OptionName, string>>>()

/**
 * How to name an option to the person who set it: the environment variable when it came from
 * the environment (as in a pod spec's env:), else the flag.
 */
export function sourceOf (o: Options, key: OptionName): string {
  return SOURCES.get(o)?.[key] ?? `--${flagName(key)}`
}

/** Whether the person set this option (flag or environment), rather than leaving its default. */
export function isGiven (o: Options, key: OptionName): boolean {
  return SOURCES.get(o)?.[key] !== undefined
}

/**
 * Reads flags and environment into typed options. Flags win over the environment, which wins
 * over defaults. Unknown flags and unknown HEALTHZ_* variables are errors: a typo in a pod
 * spec should stop the agent at start, not silently fall back to a default.
 */
export function parseOptions (argv: readonly string[], env: NodeJS.ProcessEnv): ParsedArgs {
  const options = Object.fromEntries(KEYS.map((k) => [k, SCHEMA[k].default])) as Record<OptionName, unknown>
  const sources: Partial<Record<OptionName, string>> = {}

  for (const [name, raw] of Object.entries(env)) {
    if (!name.startsWith(ENV_PREFIX) || raw === undefined || isServiceLink(name, raw)) continue
    const key = BY_ENV.get(name)
    if (key === undefined) throw new ConfigError(`${name}: unknown environment variable; ${hint(name, BY_ENV.keys())}see --help for the options`)
    options[key] = convert(key, raw, name)
    sources[key] = name
  }

  // strict:false lets us word every error ourselves; tokens keep "--flag=value" and "--flag value" apart.
  const { tokens } = parseArgs({
    args: [...argv],
    strict: false,
    allowPositionals: true,
    tokens: true,
    options: PARSE_ARGS_OPTIONS,
  })

  let command: ParsedArgs['command'] = 'serve'
  let help = false
  let version = false
  const positionals: string[] = []
  for (const token of tokens) {
    if (token.kind === 'positional') { positionals.push(token.value); continue }
    if (token.kind !== 'option') continue
    if (token.name === 'help' || token.name === 'h') { help = true; continue }
    if (token.name === 'version') { version = true; continue }
    const key = BY_FLAG.get(token.name)
    if (key === undefined) throw new ConfigError(`${token.rawName}: unknown flag; ${hint(token.name, BY_FLAG.keys(), '--')}see --help for the options`)
    if (spec(key).secret === true) {
      throw new ConfigError(`--${token.name}: secrets are not accepted as flags (they show in ps and pod specs); set ${envName(key)} or use --${token.name}-file`)
    }
    sources[key] = `--${token.name}`
    if (isBool(key)) {
      options[key] = token.value === undefined ? true : convert(key, token.value, `--${token.name}`)
    } else {
      if (token.value === undefined) throw new ConfigError(`--${token.name}: missing value, expected ${spec(key).expected}`)
      options[key] = convert(key, token.value, `--${token.name}`)
    }
  }

  if (positionals.length > 0) {
    const [first] = positionals
    if ((first !== 'check' && first !== 'ping') || positionals.length > 1) {
      throw new ConfigError(`${JSON.stringify(positionals.join(' '))}: unknown command, expected no command (serve), "check" or "ping"`)
    }
    command = first
  }
  SOURCES.set(options as Options, sources)
  return { command, help, version, options: options as Options }
}
