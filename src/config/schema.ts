import { address, bool, duration, httpUrl, int, list, oneOf, str } from './option-types'

/** A bootstrap server as --kafka-brokers takes one (host:port, [v6]:port). */
const isAddress = (s: string): boolean => s !== '' && address('').parse(s) !== undefined

const CONNECT_STATES = ['RUNNING', 'PAUSED', 'STOPPED', 'FAILED', 'UNASSIGNED', 'RESTARTING']

/**
 * Every option of kafka-healthz, in the order --help and the README list them.
 * The key is the camelCase name; the flag is its kebab-case (`kafkaBrokers` → `--kafka-brokers`)
 * and the environment variable its upper snake case with a prefix (`HEALTHZ_KAFKA_BROKERS`).
 * Precedence: flag, then environment, then the default here.
 */
export const SCHEMA = {
  host: str('Address the HTTP server listens on. Probes come from the kubelet on the pod IP, so not just loopback; use :: in IPv6 clusters.', '0.0.0.0'),
  // 18090: unused by the peers people run beside Kafka (18083 Connect checkers, 8000, 9308 kafka_exporter, 9404 JMX exporter, 9644 Redpanda).
  port: int('Port of the HTTP server.', 18090, 1, 65535),
  logLevel: oneOf('Log level. Probe requests log at debug; verdict changes at info.', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),

  interval: duration('How often the checks run in the background.', 5000, 10),
  timeout: duration('Deadline of one check run; must be smaller than --interval. A run that misses it fails with TIMEOUT.', 3000, 10),
  failureThreshold: int('Consecutive failed runs before a passing check turns failing.', 2, 1, 100),
  successThreshold: int('Consecutive passed runs before a failing check turns passing.', 1, 1, 100),
  shutdownDelay: duration('After SIGTERM, how long readiness fails while liveness and the server keep answering, so endpoints drain before exit.', 5000, 0),

  kafkaBrokers: address('Address of the Kafka broker in this pod (host:port). Enables the broker checks; leave empty to skip them.'),
  kafkaBrokerId: str('This broker\'s node id: a number, or "auto" to take the StatefulSet ordinal of --pod-name plus --kafka-broker-id-offset. Empty skips the id check.'),
  kafkaBrokerIdOffset: int('Added to the pod ordinal when --kafka-broker-id=auto (e.g. when node ids start at 1 or 100).', 0, -1_000_000, 1_000_000),
  podName: str('Pod name used by --kafka-broker-id=auto. Defaults to $HOSTNAME, which is the pod name in a StatefulSet.'),
  minBrokers: int('Readiness needs at least this many brokers in the cluster metadata.', 1, 1, 10_000),
  kafkaClientId: str('Client id the agent presents to the broker (shows in broker request logs and quotas).', 'kafka-healthz'),

  inSync: bool('Readiness also needs this broker in the ISR of every partition it replicates (in-sync check), so a rolling restart waits for the restarted broker to catch up. Needs --kafka-broker-id. Use --in-sync=false to switch it off.', true),
  inSyncExcludeTopics: list('Topics the in-sync check and /prestop ignore, by name or glob (* and ?).', [], 'a comma-separated list of topic names or globs'),
  inSyncStartupGrace: duration('After the agent starts, the in-sync check passes (saying what is not yet in sync) for this long. 0: no grace.', 0, 0),
  minInsyncReplicas: int('min.insync.replicas assumed for topics whose config the broker will not describe (no DescribeConfigs ACL).', 2, 1, 1000),
  prestopTimeout: duration('Longest GET /prestop waits for stopping this broker or controller to be safe before it answers anyway (keep it below terminationGracePeriodSeconds).', 120_000, 0),
  prestopToken: str('A shared token GET /prestop requires as "Authorization: Bearer <token>" (the kubelet sends it from the preStop hook\'s httpHeaders). Empty: no token. Environment only; or use --prestop-token-file.', '', { secret: true }),
  prestopTokenFile: str('File holding the /prestop token (e.g. a mounted Secret), read again on every call. A trailing newline is ignored.'),
  advertisedCheck: oneOf('The advertised-address check (the address the cluster hands out for this broker resolves and accepts a Kafka connection from this pod): off, status (shown in /status and metrics only) or readiness (also fails /readyz). Needs --kafka-broker-id.', ['off', 'status', 'readiness'], 'status'),

  kafkaTls: bool('Connect to the broker over TLS. Implied by any --kafka-tls-* file option.'),
  kafkaTlsCaFile: str('PEM file with the CA(s) that signed the broker certificate. Empty: the system CAs.'),
  kafkaTlsCertFile: str('PEM client certificate for mutual TLS.'),
  kafkaTlsKeyFile: str('PEM private key of --kafka-tls-cert-file.'),
  kafkaTlsServerName: str('TLS server name (SNI) to verify, when it differs from the host in --kafka-brokers.'),
  kafkaTlsInsecure: bool('Skip verification of the broker certificate. For tests only.'),

  kafkaSaslMechanism: oneOf('SASL mechanism, or none. oauthbearer takes a token file or an OIDC client-credentials endpoint (--kafka-sasl-oauth-*).', ['none', 'plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'], 'none'),
  kafkaSaslUsername: str('SASL username.'),
  kafkaSaslPassword: str('SASL password. Environment only (a flag would show in ps); or use --kafka-sasl-password-file.', '', { secret: true }),
  kafkaSaslPasswordFile: str('File holding the SASL password (e.g. a mounted Secret). A trailing newline is ignored.'),
  kafkaSaslOauthTokenFile: str('OAUTHBEARER: file holding the token (a JWT), read again at every authentication, so it rotates.'),
  kafkaSaslOauthTokenUrl: httpUrl('OAUTHBEARER: OIDC token endpoint; the agent asks it for a token with the client-credentials grant and renews it before it expires.'),
  kafkaSaslOauthClientId: str('OAUTHBEARER: client id for --kafka-sasl-oauth-token-url.'),
  kafkaSaslOauthClientSecret: str('OAUTHBEARER: client secret. Environment only; or use --kafka-sasl-oauth-client-secret-file.', '', { secret: true }),
  kafkaSaslOauthClientSecretFile: str('OAUTHBEARER: file holding the client secret. A trailing newline is ignored.'),
  kafkaSaslOauthScope: str('OAUTHBEARER: scope to ask the token endpoint for. Empty: none.'),

  kafkaController: address('Address of the KRaft controller in this pod: its own controller listener (host:port, as in controller.quorum.voters). Enables the controller checks and the controller\'s /prestop; leave empty to skip them. It speaks TLS and SASL as --kafka-tls-* and --kafka-sasl-* say.'),
  kafkaControllerId: str('This controller\'s node id: a number, or "auto" to take the StatefulSet ordinal of --pod-name plus --kafka-controller-id-offset. Required with --kafka-controller.'),
  kafkaControllerIdOffset: int('Added to the pod ordinal when --kafka-controller-id=auto.', 0, -1_000_000, 1_000_000),
  controllerCaughtUpBound: duration('A voter is caught up while the leader\'s last caught-up time minus its own stays under this (Kafka\'s controller.quorum.fetch.timeout.ms).', 2000, 1),
  quorumMetrics: bool('On a broker: also export the KRaft quorum (DescribeQuorum, which the broker forwards to the active controller) as metrics, never as readiness. One request more per run.'),

  connectUrl: httpUrl('Kafka Connect REST URL of the worker in this pod. Enables the Connect checks; leave empty to skip them. A URL with user:password in it is refused: use --connect-username with HEALTHZ_CONNECT_PASSWORD or --connect-password-file.'),
  connectUsername: str('Basic-auth username for the Connect REST API.'),
  connectPassword: str('Basic-auth password. Environment only; or use --connect-password-file. May contain ":".', '', { secret: true }),
  connectPasswordFile: str('File holding the basic-auth password (e.g. a mounted Secret). A trailing newline is ignored.'),
  connectHeaders: str('Extra request headers, one "Name: value" per line (e.g. a bearer token). Environment only; or use --connect-headers-file.', '', { secret: true }),
  connectHeadersFile: str('File of extra request headers, one "Name: value" per line.'),
  connectTlsCaFile: str('PEM file with the CA(s) that signed the Connect REST certificate. Empty: the system CAs.'),
  connectTlsCertFile: str('PEM client certificate for mutual TLS to the Connect REST API.'),
  connectTlsKeyFile: str('PEM private key of --connect-tls-cert-file.'),
  connectTlsServerName: str('TLS server name to verify, when the certificate names the pod or Service rather than the host in --connect-url.'),
  connectTlsInsecure: bool('Skip verification of the Connect REST certificate. For tests only.'),
  connectors: list('Connectors that count, by name or glob (* and ?). Empty: all.', [], 'a comma-separated list of names or globs'),
  connectWorkerId: str('Count only connectors and tasks running on this worker: its host:port as in worker_id, or "auto" to match this pod\'s addresses and hostname. Empty counts all, wherever they run.'),
  connectDepartedWorkers: bool('Without --connect-worker-id: judge work the worker reports RUNNING on a worker that is gone (its REST address refuses connections or no longer resolves; Kafka moves such work only after scheduled.rebalance.max.delay.ms) as UNASSIGNED, failing after --connect-transition-grace. One TCP connect per worker per run.', true),
  connectRequireConnectors: bool('Fail readiness when no connector is selected (default: nothing selected passes).'),
  connectHealthyStates: list('States that count as healthy, for connectors and tasks.', ['RUNNING'], `a comma-separated list of ${CONNECT_STATES.join(', ')}`, (s) => CONNECT_STATES.includes(s)),
  connectKafkaWait: duration('How long liveness holds while the worker\'s herder waits on Kafka (its /health names a stage such as "ensuring membership in the cluster"); 0 (the default): for as long as it waits. A restart does not fix a Kafka outage, and a worker restarted in one exits and crash-loops on its own; set a bound only if your workers have been seen to wedge in such a stage while Kafka was fine. After one such restart, liveness holds until the worker is healthy again.', 0, 0),
  connectTransitionGrace: duration('How long UNASSIGNED and RESTARTING (normal during rebalances) are tolerated before they fail.', 60_000, 0),
  connectCheckTasksMax: bool('Also fail when fewer tasks run than the connector\'s tasks.max (asks the worker for connector configs too).'),
  connectUnhealthyTolerance: int('Percent of selected connectors that may be unhealthy before readiness fails.', 0, 0, 100),
  connectMaxBodyBytes: int('Largest Connect response body read; larger ones fail with CONNECT_BODY_TOO_LARGE.', 16 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
  connectConcurrency: int('Parallel status calls when the worker ignores ?expand=status (older than Kafka 2.3).', 8, 1, 64),
  connectTraceLength: int('Stack traces on /connectors/<name> are cut to this many characters (/status shows only their first line).', 2000, 0, 1_000_000),
  connectMetricsMaxConnectors: int('At most this many connectors get per-connector metric series; the rest are counted as left out.', 500, 0, 100_000),
  connectRestartFailed: bool('Self-healing (opt-in): restart connectors and tasks FAILED on this worker (POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true, Kafka 3.0 or later), with backoff. Needs --connect-worker-id. Never restarts a PAUSED or STOPPED connector.'),
  connectRestartBackoff: duration('Self-healing: wait after the first restart of a connector before another; doubles with each restart.', 30_000, 1000),
  connectRestartMaxBackoff: duration('Self-healing: longest wait between two restarts of a connector; also how long it must run healthy before its restart count starts over.', 600_000, 1000),
  connectRestartMaxAttempts: int('Self-healing: restarts of one connector before the agent gives up on it, until it has run healthy for --connect-restart-max-backoff.', 5, 1, 1000),
  // Sink progress: committed offsets of sink connectors' consumer groups against the partitions' end offsets.
  connectKafkaBootstrap: list('Sink progress: bootstrap servers (host:port) of the Kafka cluster the sink connectors consume from. Enables the sink-progress check; TLS and SASL come from the --kafka-tls-* and --kafka-sasl-* options. Starts no broker checks.', [], 'a comma-separated list of host:port', (s) => isAddress(s)),
  connectProgress: oneOf('Sink progress: where its verdict counts: off, status (/status, /connectors/<name> and metrics) or readiness (also /readyz; one slow downstream system then takes every Connect pod out of its Service).', ['off', 'status', 'readiness'], 'status'),
  connectProgressWindow: int('Sink progress: samples per partition in the sliding window the verdict judges; a stall shows once a full window has not moved.', 10, 2, 100),
  connectProgressEvery: int('Sink progress: take a sample every this many check runs (a sample\'s cost grows with partitions). A full window spans (window - 1) × every × --interval (135s by default): keep it above twice the workers\' offset.flush.interval.ms (60s by default), or a healthy sink that commits once a minute reads STALLED.', 3, 1, 1000),
  connectProgressAllowedLag: int('Sink progress: lag per partition (records) that still counts as caught up. 1 by default: a transactional producer leaves a commit marker after its last record, which a sink never commits past.', 1, 0, Number.MAX_SAFE_INTEGER),
  connectProgressExclude: list('Sink progress: sink connectors it does not judge, by name or connector.class, as names or globs (* and ?): sinks that commit on their own schedule, such as storage sinks that commit only when they close a file.', [], 'a comma-separated list of names, classes or globs'),

  probe: oneOf('One-shot mode: the probe to evaluate.', ['livez', 'readyz', 'startupz'], 'readyz', { oneShot: true }),
  wait: duration('One-shot mode: keep retrying for up to this long before giving up (for init containers); 0 runs once.', 0, 0, { oneShot: true }),
} as const

/** --help's sections: each starts at the option named, in SCHEMA's order; one per target. */
export const GROUPS: ReadonlyArray<{ readonly title: string, readonly from: keyof typeof SCHEMA }> = [
  { title: 'Server and check loop', from: 'host' },
  { title: 'Kafka broker (--kafka-brokers)', from: 'kafkaBrokers' },
  { title: 'Kafka broker: in-sync, /prestop, advertised address', from: 'inSync' },
  { title: 'Kafka broker: TLS and SASL', from: 'kafkaTls' },
  { title: 'KRaft controller (--kafka-controller)', from: 'kafkaController' },
  { title: 'Kafka Connect (--connect-url)', from: 'connectUrl' },
  { title: 'One-shot mode (kafka-healthz check)', from: 'probe' },
]

export type Schema = typeof SCHEMA
export type OptionName = keyof Schema
/** Option values as parsed, before cross-option checks and file reads. */
export type Options = { -readonly [K in OptionName]: Schema[K]['default'] }

export const ENV_PREFIX = 'HEALTHZ_'

export function flagName (key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)
}

export function envName (key: string): string {
  return ENV_PREFIX + key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()
}
