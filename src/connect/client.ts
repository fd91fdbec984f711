/**
 * The only view of the Kafka Connect REST API the agent has. Read-only but for
 * `restartConnector`, which only opt-in self-healing calls: nothing here can pause, resume,
 * stop or reconfigure a connector. Every call ends when `signal` aborts.
 */
export interface ConnectClient {
  /**
   * GET /health (Kafka >= 3.9), or GET / on older workers that answer 404 there. `waitMs`, when
   * given, is how long to wait for the answer instead of the run's deadline: a worker whose herder
   * is busy answers only after its own 10 s, naming what the herder is stuck in.
   */
  health: (signal: AbortSignal, waitMs?: number) => Promise<WorkerHealth>
  /** GET / answers 200: the REST server lives. Jetty answers it without the herder. */
  root: (signal: AbortSignal) => Promise<void>
  /**
   * Status of every connector in one call (GET /connectors?expand=status). Workers that ignore
   * `expand` get bounded, concurrent per-connector calls; a connector deleted meanwhile is left
   * out, as the worker itself does. Read-only: a client may hand the same array to several runs.
   */
  connectorStatuses: (signal: AbortSignal) => Promise<readonly ConnectorStatus[]>
  /**
   * config["tasks.max"] of every connector (GET /connectors?expand=info). Separate from the
   * status call because `info` goes through the worker's herder, which can hang for 90 s.
   */
  connectorTasksMax: (signal: AbortSignal) => Promise<Map<string, number>>
  /**
   * Each sink connector's consumer group and topics, from the same GET /connectors?expand=info
   * (sink progress asks; source connectors are left out).
   */
  sinkConfigs: (signal: AbortSignal) => Promise<Map<string, SinkConfig>>
  /**
   * POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true (KIP-745, Kafka >= 3.0):
   * restarts the FAILED instances of that connector, wherever they run, and nothing else.
   * Refusals the caller can act on come back as outcomes; everything else throws ConnectError.
   */
  restartConnector: (name: string, signal: AbortSignal) => Promise<RestartOutcome>
  close: () => Promise<void>
}

/** What sink progress needs of a sink connector's config. */
export interface SinkConfig {
  /** consumer.override.group.id, or connect-<name> as Connect names it. */
  readonly group: string
  /** Its `topics`; empty with `topics.regex`. */
  readonly topics: readonly string[]
  /** Its `topics.regex` (a Java pattern), when it has one: then the topics its group committed to that match. */
  readonly topicsRegex?: string
  /** Its `connector.class`, for --connect-progress-exclude. */
  readonly connectorClass?: string
}

export interface WorkerHealth {
  /** healthy: 200; starting: 503 "starting" (live, not ready); unhealthy: 500 or another 503. */
  readonly status: 'healthy' | 'starting' | 'unhealthy'
  readonly message: string
  /** The worker has no /health (before Kafka 3.9); GET / answered instead. */
  readonly legacy: boolean
}

/** What the worker answered to a restart. */
export type RestartOutcome =
  /** 202: the failed instances will be restarted (asynchronously). */
  | 'accepted'
  /** 204 (or 200): a worker older than Kafka 3.0 ignored the query and restarted the connector instance only. */
  | 'legacy'
  /** 404: the worker knows no such connector (deleted meanwhile). */
  | 'gone'
  /** 409: a rebalance is under way or due; ask again later. */
  | 'rebalancing'

export interface TaskStatus {
  readonly id: number
  readonly state: string
  readonly workerId: string
  readonly trace?: string
}

export interface ConnectorStatus {
  readonly name: string
  readonly state: string
  readonly workerId: string
  readonly trace?: string
  readonly type: string
  readonly tasks: readonly TaskStatus[]
}

/** Connector names come from the worker and can be any length: cut them in messages and logs. */
export function shortName (name: string): string {
  return name.length > 100 ? `${name.slice(0, 100)}…` : name
}

/** `client`: our side could not make the request at all (a local mistake), so it says nothing of the worker. */
export type ConnectErrorKind = 'unreachable' | 'tls' | 'aborted' | 'auth' | 'http' | 'redirect' | 'bad-response' | 'too-large' | 'client'

export class ConnectError extends Error {
  override name = 'ConnectError'
  constructor (readonly kind: ConnectErrorKind, message: string) {
    super(message)
  }
}

/** Endpoint names as metric labels: a closed set, never a connector name. */
export type ConnectEndpoint = 'health' | 'root' | 'connectors' | 'connector_status' | 'connector_info' | 'connector_restart'

/** Told about every upstream request, for the request duration and error metrics. */
export type ConnectRequestObserver = (endpoint: ConnectEndpoint, seconds: number, error: ConnectErrorKind | undefined) => void
