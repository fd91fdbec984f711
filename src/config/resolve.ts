import { readFileSync } from 'node:fs'
import { networkInterfaces } from 'node:os'
import { connectTarget, type ConnectTarget } from './connect-target'
import { formatDuration } from './duration'
import { ConfigError, isGiven } from './parse-options'
import { named, readOption, readSecretFile, tlsOptions, type ResolveDeps, type TlsOptions } from './read-option'
import { envName, SCHEMA, type Options } from './schema'

export type { ResolveDeps } from './read-option'

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512'

/** Where an OAUTHBEARER token comes from: a file (read at every authentication) or an OIDC endpoint. */
export type OAuthSource =
  | { readonly kind: 'file', readonly path: string }
  | { readonly kind: 'client-credentials', readonly tokenUrl: string, readonly clientId: string, readonly clientSecret: string, readonly scope: string }

export interface KafkaTarget {
  /** As given (host:port), for messages. */
  address: string
  /** Split once here: IPv6 hosts lose their brackets, which kafkajs's own split(':') would mangle. */
  host: string
  port: number
  /** Node id this broker must have in the metadata; undefined skips the id check. */
  brokerId: number | undefined
  minBrokers: number
  clientId: string
  tls: TlsOptions | undefined
  sasl: { mechanism: SaslMechanism, username: string, password: string } | { mechanism: 'oauthbearer', oauth: OAuthSource } | undefined
}

/** The KRaft controller in this pod (--kafka-controller): its listener, secured as the --kafka-tls and --kafka-sasl options say. */
export interface ControllerTarget {
  readonly listener: KafkaTarget
  readonly nodeId: number
  readonly caughtUpBoundMs: number
}

/** The configuration the agent runs with: options, plus everything derived from them and read from files. */
export interface Config extends Readonly<Options> {
  readonly kafka: KafkaTarget | undefined
  readonly connect: ConnectTarget | undefined
  readonly controller: ControllerTarget | undefined
  /**
   * Reads the files again (passwords, CA, client certificate and key, headers) and derives the
   * targets afresh from the same options: secrets rotate under a running pod. Throws
   * ConfigError, as at start, when a file is missing or wrong; never echoes a secret.
   */
  readonly reread: () => Pick<Config, 'kafka' | 'connect' | 'controller'>
  /** The token GET /prestop requires, read again on each call (it rotates); undefined: none. */
  readonly prestopTokenNow: () => string | undefined
}

const defaultDeps: ResolveDeps = {
  readFile: (path) => readFileSync(path, 'utf8'),
  hostname: process.env.HOSTNAME,
  localAddresses: () => Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)),
}

function brokerId (o: Options, deps: ResolveDeps): number | undefined {
  return nodeId(o, deps, 'kafkaBrokerId', 'kafkaBrokerIdOffset')
}

/** A node id option: a number, "auto" (the StatefulSet ordinal plus an offset) or empty. */
function nodeId (o: Options, deps: ResolveDeps, idKey: 'kafkaBrokerId' | 'kafkaControllerId', offsetKey: 'kafkaBrokerIdOffset' | 'kafkaControllerIdOffset'): number | undefined {
  const raw = o[idKey].trim()
  if (raw === '') return undefined
  if (/^\d+$/.test(raw)) return Number(raw)
  if (raw !== 'auto') throw new ConfigError(`${named(o, idKey)}: got ${JSON.stringify(raw)}, expected a node id (0 or more), "auto" or empty`)
  const pod = o.podName !== '' ? o.podName : (deps.hostname ?? '')
  // StatefulSet pods are named <set>-<ordinal>; nothing else tells us which broker we sit beside.
  const m = /-(\d+)$/.exec(pod)
  if (m === null) {
    throw new ConfigError(`${named(o, idKey)}: got "auto", expected ${named(o, 'podName')} (or $HOSTNAME) to end in a StatefulSet ordinal like kafka-2, but it is ${JSON.stringify(pod)}`)
  }
  const id = Number(m[1]) + o[offsetKey]
  if (id < 0) throw new ConfigError(`${named(o, offsetKey)}: got ${o[offsetKey]}, expected an offset that keeps the node id of ${JSON.stringify(pod)} at 0 or more`)
  return id
}

function sasl (o: Options, deps: ResolveDeps): KafkaTarget['sasl'] {
  if (o.kafkaSaslMechanism === 'none') return undefined
  if (o.kafkaSaslMechanism === 'oauthbearer') return { mechanism: 'oauthbearer', oauth: oauth(o, deps) }
  if (o.kafkaSaslUsername === '') {
    throw new ConfigError(`${named(o, 'kafkaSaslUsername')}: got nothing, expected a username because ${named(o, 'kafkaSaslMechanism')} is ${o.kafkaSaslMechanism}`)
  }
  if (o.kafkaSaslPassword !== '' && o.kafkaSaslPasswordFile !== '') {
    throw new ConfigError(`${named(o, 'kafkaSaslPasswordFile')}: got a file and ${envName('kafkaSaslPassword')} too, expected only one of them`)
  }
  const password = o.kafkaSaslPasswordFile !== ''
    ? readSecretFile(deps, o, 'kafkaSaslPasswordFile')
    : o.kafkaSaslPassword
  if (password === '' && o.kafkaSaslPasswordFile !== '') {
    throw new ConfigError(`${named(o, 'kafkaSaslPasswordFile')}: the file ${JSON.stringify(o.kafkaSaslPasswordFile)} is empty, expected a password`)
  }
  if (password === '') {
    throw new ConfigError(`${envName('kafkaSaslPassword')}: got nothing, expected a password (or ${named(o, 'kafkaSaslPasswordFile')}) because ${named(o, 'kafkaSaslMechanism')} is ${o.kafkaSaslMechanism}`)
  }
  return { mechanism: o.kafkaSaslMechanism, username: o.kafkaSaslUsername, password }
}

function oauth (o: Options, deps: ResolveDeps): OAuthSource {
  const why = `because ${named(o, 'kafkaSaslMechanism')} is oauthbearer`
  if ((o.kafkaSaslOauthTokenFile === '') === (o.kafkaSaslOauthTokenUrl === '')) {
    throw new ConfigError(`${named(o, 'kafkaSaslOauthTokenFile')}: expected either a token file or ${named(o, 'kafkaSaslOauthTokenUrl')} (an OIDC endpoint), exactly one, ${why}`)
  }
  if (o.kafkaSaslOauthTokenFile !== '') {
    // Read once now, so a wrong path stops the agent at start rather than at the first dial.
    readOption(deps, o, 'kafkaSaslOauthTokenFile')
    return { kind: 'file', path: o.kafkaSaslOauthTokenFile }
  }
  if (o.kafkaSaslOauthClientId === '') throw new ConfigError(`${named(o, 'kafkaSaslOauthClientId')}: got nothing, expected a client id for ${named(o, 'kafkaSaslOauthTokenUrl')}`)
  if (o.kafkaSaslOauthClientSecret !== '' && o.kafkaSaslOauthClientSecretFile !== '') {
    throw new ConfigError(`${named(o, 'kafkaSaslOauthClientSecretFile')}: got a file and ${envName('kafkaSaslOauthClientSecret')} too, expected only one of them`)
  }
  const clientSecret = o.kafkaSaslOauthClientSecretFile !== '' ? readSecretFile(deps, o, 'kafkaSaslOauthClientSecretFile') : o.kafkaSaslOauthClientSecret
  if (clientSecret === '') throw new ConfigError(`${envName('kafkaSaslOauthClientSecret')}: got nothing, expected a client secret (or ${named(o, 'kafkaSaslOauthClientSecretFile')}) for ${named(o, 'kafkaSaslOauthTokenUrl')}`)
  return { kind: 'client-credentials', tokenUrl: o.kafkaSaslOauthTokenUrl, clientId: o.kafkaSaslOauthClientId, clientSecret, scope: o.kafkaSaslOauthScope }
}

/** Checks what no single option can check alone, reads the files options point at, and derives the broker id. */
export function resolveConfig (o: Options, deps: ResolveDeps = defaultDeps): Config {
  if (o.timeout >= o.interval) {
    throw new ConfigError(`${named(o, 'timeout')}: got ${formatDuration(o.timeout)}, expected less than ${named(o, 'interval')} (${formatDuration(o.interval)}) so runs never overlap`)
  }
  if (o.kafkaBrokers === '' && o.connectUrl === '' && o.kafkaController === '') {
    throw new ConfigError(`${named(o, 'kafkaBrokers')}: got nothing, expected the host:port of the broker in this pod, or ${named(o, 'kafkaController')}, or ${named(o, 'connectUrl')} (nothing to check otherwise)`)
  }
  if (o.quorumMetrics && o.kafkaBrokers === '') {
    throw new ConfigError(`${named(o, 'quorumMetrics')}: got true without ${named(o, 'kafkaBrokers')}, expected a broker to ask (a controller's own quorum metrics come with ${named(o, 'kafkaController')})`)
  }
  const targets = (): Pick<Config, 'kafka' | 'connect' | 'controller'> => ({
    kafka: o.kafkaBrokers === '' ? undefined : kafkaTarget(o, deps),
    connect: o.connectUrl === '' ? undefined : { ...connectTarget(o, deps), progress: progressTarget(o, deps) },
    controller: o.kafkaController === '' ? undefined : controllerTarget(o, deps),
  })
  // Only a value that asks for something: a chart that sets every variable to its default, or
  // `--connect-progress off`, says what is true anyway, and must not stop the pod on an upgrade.
  const progressOnly = PROGRESS_OPTIONS.find((k) => isGiven(o, k) && o[k] !== 'off' && JSON.stringify(o[k]) !== JSON.stringify(SCHEMA[k].default))
  if (o.connectKafkaBootstrap.length === 0 && progressOnly !== undefined) {
    // Set for nothing: the person believes sink progress is on, and it is not.
    throw new ConfigError(`${named(o, progressOnly)}: set without ${named(o, 'connectKafkaBootstrap')}, expected the Kafka cluster's bootstrap servers too (sink progress is off without them)`)
  }
  if (o.connectUrl === '' && o.connectKafkaBootstrap.length > 0) {
    throw new ConfigError(`${named(o, 'connectKafkaBootstrap')}: got ${o.connectKafkaBootstrap.join(',')}, expected ${named(o, 'connectUrl')} too (sink progress judges the connectors of a Connect worker)`)
  }
  return { ...o, ...targets(), reread: targets, prestopTokenNow: prestopToken(o, deps) }
}

/** Reads the token once now (a mistake is a start-up error), then on each call, keeping the last good one. */
function prestopToken (o: Options, deps: ResolveDeps): () => string | undefined {
  if (o.prestopToken !== '' && o.prestopTokenFile !== '') {
    throw new ConfigError(`${named(o, 'prestopTokenFile')}: got a file and ${envName('prestopToken')} too, expected only one of them`)
  }
  if (o.prestopTokenFile === '') {
    const token = o.prestopToken === '' ? undefined : o.prestopToken
    return () => token
  }
  const read = (): string => {
    const token = readSecretFile(deps, o, 'prestopTokenFile')
    if (token === '') throw new ConfigError(`${named(o, 'prestopTokenFile')}: the file is empty, expected a token`)
    return token
  }
  let last = read()
  return () => {
    try { last = read() } catch { /* a rotation caught half-way: the last good token stands */ }
    return last
  }
}

function kafkaTarget (o: Options, deps: ResolveDeps, at = o.kafkaBrokers): KafkaTarget {
  const sep = at.lastIndexOf(':')
  const kafka: KafkaTarget = {
    address: at,
    host: at.slice(0, sep).replace(/^\[(.*)\]$/, '$1'),
    port: Number(at.slice(sep + 1)),
    brokerId: brokerId(o, deps),
    minBrokers: o.minBrokers,
    clientId: o.kafkaClientId,
    tls: tlsOptions(o, deps, o.kafkaTls, { ca: 'kafkaTlsCaFile', cert: 'kafkaTlsCertFile', key: 'kafkaTlsKeyFile', serverName: 'kafkaTlsServerName', insecure: 'kafkaTlsInsecure' }),
    sasl: sasl(o, deps),
  }
  return kafka
}

function controllerTarget (o: Options, deps: ResolveDeps): ControllerTarget {
  const id = nodeId(o, deps, 'kafkaControllerId', 'kafkaControllerIdOffset')
  if (id === undefined) {
    throw new ConfigError(`${named(o, 'kafkaControllerId')}: got nothing, expected this controller's node id (a number, or "auto" in a StatefulSet) because ${named(o, 'kafkaController')} is set: the quorum check judges this node`)
  }
  // The listener's security is the broker's options: one set of TLS/SASL settings per pod.
  return { listener: { ...kafkaTarget(o, deps, o.kafkaController), brokerId: undefined }, nodeId: id, caughtUpBoundMs: o.controllerCaughtUpBound }
}

/** A whole Kafka cluster, through its bootstrap servers, with the --kafka-tls-* and --kafka-sasl-* security. */
export interface KafkaClusterAccess {
  readonly brokers: readonly string[]
  readonly clientId: string
  readonly tls: TlsOptions | undefined
  readonly sasl: KafkaTarget['sasl']
}

/** Options that only mean something with --connect-kafka-bootstrap. */
const PROGRESS_OPTIONS = ['connectProgress', 'connectProgressWindow', 'connectProgressEvery', 'connectProgressAllowedLag', 'connectProgressExclude'] as const

/** Sink progress (--connect-kafka-bootstrap, --connect-progress-*). */
export interface ProgressTarget {
  readonly access: KafkaClusterAccess
  /** Whether the verdict also gates /readyz. */
  readonly policy: 'status' | 'readiness'
  /** Samples per partition judged together. */
  readonly window: number
  /** Sample every this many check runs. */
  readonly every: number
  readonly allowedLag: number
  /** Connector names or classes (globs) left out. */
  readonly exclude: readonly string[]
}

/**
 * Reads the same TLS and SASL options as the broker target, but only builds the cluster access:
 * a Connect pod has no local broker, so none of the broker checks start from these options.
 */
function progressTarget (o: Options, deps: ResolveDeps): ProgressTarget | undefined {
  if (o.connectKafkaBootstrap.length === 0 || o.connectProgress === 'off') return undefined
  return {
    access: {
      brokers: o.connectKafkaBootstrap,
      clientId: o.kafkaClientId,
      tls: tlsOptions(o, deps, o.kafkaTls, { ca: 'kafkaTlsCaFile', cert: 'kafkaTlsCertFile', key: 'kafkaTlsKeyFile', serverName: 'kafkaTlsServerName', insecure: 'kafkaTlsInsecure' }),
      sasl: sasl(o, deps),
    },
    policy: o.connectProgress,
    window: o.connectProgressWindow,
    every: o.connectProgressEvery,
    allowedLag: o.connectProgressAllowedLag,
    exclude: o.connectProgressExclude,
  }
}
