import { request } from 'node:http'
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { ConfigError, isServiceLink } from './config/parse-options'
import { SCHEMA, envName, flagName, type OptionName } from './config/schema'

/** Where `ping` knocks, and how long it waits. Nothing else of the configuration. */
export interface PingTarget {
  readonly host: string
  readonly port: number
  readonly timeout: number
}

/** The options `ping` reads; every other option, flag or environment variable, it ignores. */
const PING_KEYS = ['host', 'port', 'timeout'] as const satisfies readonly OptionName[]
type PingKey = typeof PING_KEYS[number]

const KEYS = Object.keys(SCHEMA) as OptionName[]
const BY_FLAG = new Map(KEYS.map((k) => [flagName(k), k]))
// Every option is known to the tokenizer, so `--kafka-brokers x ping` reads "x" as a value.
const PARSE_ARGS_OPTIONS: ParseArgsConfig['options'] = {
  ...Object.fromEntries(KEYS.map((k) => [flagName(k), { type: typeof SCHEMA[k].default === 'boolean' ? 'boolean' : 'string' }] as const)),
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
}

function tokensOf (argv: readonly string[]) {
  return parseArgs({ args: [...argv], strict: false, allowPositionals: true, tokens: true, options: PARSE_ARGS_OPTIONS }).tokens
}

/** Whether the command line asks for `kafka-healthz ping`. */
export function isPingCommand (argv: readonly string[]): boolean {
  const positionals = tokensOf(argv).filter((t) => t.kind === 'positional')
  return positionals[0]?.value === 'ping'
}

function convert (key: PingKey, raw: string, source: string): unknown {
  const value = SCHEMA[key].parse(raw)
  if (value === undefined) throw new ConfigError(`${source}: got ${JSON.stringify(raw)}, expected ${SCHEMA[key].expected}`)
  return value
}

/**
 * `ping`'s own reading of the command line and environment: --host, --port and --timeout (flag,
 * then HEALTHZ_* variable, then the serve defaults), nothing else. Docker runs a HEALTHCHECK with
 * the container's environment and without its arguments, so ping must neither need the serve
 * configuration nor trip over it: other options are ignored, not validated, and secrets (and
 * their files) are never read. A typo'd or unknown flag is still an error.
 */
export function pingTarget (argv: readonly string[], env: NodeJS.ProcessEnv): PingTarget {
  const values: Record<PingKey, unknown> = { host: SCHEMA.host.default, port: SCHEMA.port.default, timeout: SCHEMA.timeout.default }
  for (const key of PING_KEYS) {
    const name = envName(key)
    const raw = env[name]
    if (raw !== undefined && !isServiceLink(name, raw)) values[key] = convert(key, raw, name)
  }
  const positionals: string[] = []
  for (const token of tokensOf(argv)) {
    if (token.kind === 'positional') { positionals.push(token.value); continue }
    if (token.kind !== 'option' || token.name === 'help' || token.name === 'h' || token.name === 'version') continue
    const key = BY_FLAG.get(token.name)
    if (key === undefined) throw new ConfigError(`${token.rawName}: unknown flag; see --help for the options`)
    if (!(PING_KEYS as readonly string[]).includes(key)) continue
    const pingKey = key as PingKey
    if (token.value === undefined) throw new ConfigError(`--${token.name}: missing value, expected ${SCHEMA[pingKey].expected}`)
    values[pingKey] = convert(pingKey, token.value, `--${token.name}`)
  }
  if (positionals.length !== 1) throw new ConfigError(`${JSON.stringify(positionals.join(' '))}: ping takes no arguments, only --host, --port and --timeout`)
  return values as unknown as PingTarget
}

/** Where to reach our own server: a wildcard listen address is reached over loopback. */
export function pingHost (host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1'
  if (host === '::' || host === '[::]') return '::1'
  return host.replace(/^\[(.*)\]$/, '$1')
}

/**
 * `kafka-healthz ping`: GET /ping of the agent already running on --host/--port, exit 0 on 200
 * and 1 otherwise. It is the image's HEALTHCHECK: the runtime image has no shell and no curl,
 * and a HEALTHCHECK that ran the checks itself would double the load on the broker.
 */
export async function pingAgent (target: PingTarget, out: NodeJS.WritableStream): Promise<number> {
  const result = await new Promise<string>((resolve) => {
    const req = request({
      host: pingHost(target.host),
      port: target.port,
      path: '/ping',
      timeout: target.timeout,
      headers: { 'user-agent': 'kafka-healthz ping' },
    }, (res) => {
      res.resume()
      resolve(String(res.statusCode))
    })
    req.on('timeout', () => { req.destroy(new Error(`no answer within ${String(target.timeout)}ms`)) })
    req.on('error', (err) => { resolve(err.message) })
    req.end()
  })
  const ok = result === '200'
  out.write(`ping ${pingHost(target.host)}:${String(target.port)}/ping: ${ok ? 'ok' : result}\n`)
  return ok ? 0 : 1
}
