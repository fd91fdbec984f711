import { formatDuration } from './duration'
import { ConfigError } from './parse-options'
import { named, readOption, readSecretFile, tlsOptions, type ResolveDeps, type TlsOptions } from './read-option'
import { envName, type Options } from './schema'
import type { ProgressTarget } from './resolve'

/** Which worker's connectors and tasks count (--connect-worker-id). */
export type WorkerScope =
  | { readonly kind: 'all' }
  | { readonly kind: 'exact', readonly workerId: string }
  /** Any worker_id whose host is one of these (this pod's IPs and hostnames). */
  | { readonly kind: 'auto', readonly hosts: readonly string[] }

/** Opt-in self-healing (--connect-restart-failed): how often, and how many times, to restart a FAILED connector. */
export interface RestartPolicy {
  /** Wait after the first restart; doubles with each further one. */
  readonly backoffMs: number
  /** Longest wait between two restarts, and how long a connector must run healthy before its count starts over. */
  readonly maxBackoffMs: number
  readonly maxAttempts: number
}

export interface ConnectTarget {
  readonly url: string
  readonly auth: { readonly username: string, readonly password: string } | undefined
  readonly headers: Readonly<Record<string, string>>
  readonly tls: TlsOptions | undefined
  readonly selectors: readonly string[]
  readonly scope: WorkerScope
  readonly requireConnectors: boolean
  readonly healthyStates: readonly string[]
  readonly transitionGraceMs: number
  /** How long liveness holds while the herder waits on Kafka (worker.ts). */
  readonly kafkaWaitMs: number
  /** Without worker scoping: RUNNING on a worker that is gone counts as UNASSIGNED (connect/departed.ts). */
  readonly departedWorkers: boolean
  readonly checkTasksMax: boolean
  readonly unhealthyTolerancePct: number
  readonly maxBodyBytes: number
  readonly concurrency: number
  readonly traceLength: number
  readonly metricsMaxConnectors: number
  /** Undefined: read-only (the default). */
  readonly restart: RestartPolicy | undefined
  /** Sink progress (--connect-kafka-bootstrap); undefined: off. Filled in by resolve.ts. */
  readonly progress: ProgressTarget | undefined
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
/** What an HTTP header value may hold (RFC 9110 field-value): no control characters but tab. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
/**
 * Headers that belong to the connection or the message framing, which the HTTP client sets
 * itself (undici refuses them at request time). Refused here, at start, with exit 2: accepted,
 * every request would fail inside the agent, and liveness would blame the worker.
 */
const RESERVED_HEADERS = new Set(['connection', 'proxy-connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'expect', 'content-length', 'host'])

/** "Name: value" lines. Values are secrets (bearer tokens): errors name the line, never its value. */
function parseHeaders (text: string, source: string): Record<string, string> {
  const headers: Record<string, string> = {}
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '') return
    const colon = line.indexOf(':')
    const name = colon < 0 ? '' : line.slice(0, colon).trim()
    if (!HEADER_NAME.test(name)) throw new ConfigError(`${source}: line ${i + 1} is not a "Name: value" header`)
    const key = name.toLowerCase()
    if (RESERVED_HEADERS.has(key)) throw new ConfigError(`${source}: line ${i + 1}: got a ${name} header, expected none of ${[...RESERVED_HEADERS].join(', ')} (the HTTP client sets those itself)`)
    const value = line.slice(colon + 1).trim()
    if (!HEADER_VALUE.test(value)) throw new ConfigError(`${source}: line ${i + 1}: the ${name} header's value holds a control character`)
    if (key in headers) throw new ConfigError(`${source}: line ${i + 1}: got a second ${name} header, expected each name once`)
    headers[key] = value
  })
  return headers
}

function headers (o: Options, deps: ResolveDeps): Record<string, string> {
  if (o.connectHeaders !== '' && o.connectHeadersFile !== '') {
    throw new ConfigError(`${named(o, 'connectHeadersFile')}: got a file and ${envName('connectHeaders')} too, expected only one of them`)
  }
  if (o.connectHeadersFile !== '') return parseHeaders(readOption(deps, o, 'connectHeadersFile'), `${named(o, 'connectHeadersFile')} (${o.connectHeadersFile})`)
  return parseHeaders(o.connectHeaders, named(o, 'connectHeaders'))
}

function auth (o: Options, deps: ResolveDeps): ConnectTarget['auth'] {
  if (o.connectPassword !== '' && o.connectPasswordFile !== '') {
    throw new ConfigError(`${named(o, 'connectPasswordFile')}: got a file and ${envName('connectPassword')} too, expected only one of them`)
  }
  const password = o.connectPasswordFile !== '' ? readSecretFile(deps, o, 'connectPasswordFile') : o.connectPassword
  if (password === '' && o.connectPasswordFile !== '') {
    throw new ConfigError(`${named(o, 'connectPasswordFile')}: the file ${JSON.stringify(o.connectPasswordFile)} is empty, expected a password`)
  }
  if (o.connectUsername === '' && password === '') return undefined
  if (o.connectUsername === '') throw new ConfigError(`${named(o, 'connectUsername')}: got nothing, expected a username because a Connect password is set`)
  // A basic-auth username cannot hold ':'; the password can (RFC 7617).
  if (o.connectUsername.includes(':')) throw new ConfigError(`${named(o, 'connectUsername')}: got ${JSON.stringify(o.connectUsername)}, expected a username without ":"`)
  return { username: o.connectUsername, password }
}

function scope (o: Options, deps: ResolveDeps): WorkerScope {
  const raw = o.connectWorkerId.trim()
  if (raw === '') return { kind: 'all' }
  if (raw === 'auto') {
    // worker_id is the advertised host:port: a pod IP, the hostname, or a DNS name starting with it.
    const names = [o.podName, deps.hostname ?? ''].filter((n) => n !== '')
    return { kind: 'auto', hosts: [...new Set([...deps.localAddresses(), ...names].map((h) => h.toLowerCase()))] }
  }
  if (!/^[^:\s]+:\d{1,5}$/.test(raw) && !/^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(raw)) {
    throw new ConfigError(`${named(o, 'connectWorkerId')}: got ${JSON.stringify(raw)}, expected host:port as in the worker_id of /connectors/<name>/status, "auto" or empty`)
  }
  return { kind: 'exact', workerId: raw.toLowerCase() }
}

function restart (o: Options, scope: WorkerScope): RestartPolicy | undefined {
  if (!o.connectRestartFailed) return undefined
  // The restart call acts on the whole cluster. Only the pod whose worker runs a FAILED instance
  // may ask for it; unscoped, the agent of every Connect pod would restart the same connector.
  if (scope.kind === 'all') {
    throw new ConfigError(`${named(o, 'connectRestartFailed')}: got true, expected ${named(o, 'connectWorkerId')} too (host:port or auto), so that only the pod running a FAILED connector or task restarts it, not every pod at once`)
  }
  if (o.connectRestartMaxBackoff < o.connectRestartBackoff) {
    throw new ConfigError(`${named(o, 'connectRestartMaxBackoff')}: got ${formatDuration(o.connectRestartMaxBackoff)}, expected at least ${named(o, 'connectRestartBackoff')} (${formatDuration(o.connectRestartBackoff)})`)
  }
  return { backoffMs: o.connectRestartBackoff, maxBackoffMs: o.connectRestartMaxBackoff, maxAttempts: o.connectRestartMaxAttempts }
}

export function connectTarget (o: Options, deps: ResolveDeps): ConnectTarget {
  const h = headers(o, deps)
  const a = auth(o, deps)
  if (a !== undefined && h.authorization !== undefined) {
    throw new ConfigError(`${named(o, 'connectUsername')}: got basic-auth credentials and an Authorization header too, expected only one of them`)
  }
  const workers = scope(o, deps)
  return {
    url: o.connectUrl,
    auth: a,
    headers: h,
    tls: tlsOptions(o, deps, false, { ca: 'connectTlsCaFile', cert: 'connectTlsCertFile', key: 'connectTlsKeyFile', serverName: 'connectTlsServerName', insecure: 'connectTlsInsecure' }),
    selectors: o.connectors,
    scope: workers,
    requireConnectors: o.connectRequireConnectors,
    healthyStates: o.connectHealthyStates,
    transitionGraceMs: o.connectTransitionGrace,
    kafkaWaitMs: o.connectKafkaWait,
    departedWorkers: o.connectDepartedWorkers,
    checkTasksMax: o.connectCheckTasksMax,
    unhealthyTolerancePct: o.connectUnhealthyTolerance,
    maxBodyBytes: o.connectMaxBodyBytes,
    concurrency: o.connectConcurrency,
    traceLength: o.connectTraceLength,
    metricsMaxConnectors: o.connectMetricsMaxConnectors,
    restart: restart(o, workers),
    progress: undefined,
  }
}
