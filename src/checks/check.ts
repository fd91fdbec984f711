/**
 * The one contract every check implements, and the bounded set of reasons a result can carry.
 *
 * A check does one thing against one peer and reports a value; it never throws for a peer's
 * failure and never owns timing. Deadline, timing, hysteresis, caching and metrics belong to
 * the runner, so every check behaves the same under a hung peer.
 */

/** Reasons the runner gives any check's run: it missed its deadline, threw, or the agent stopped. */
export const RUN_REASONS = ['TIMEOUT', 'CHECK_ERROR', 'SHUTTING_DOWN'] as const
export const BROKER_REASONS = [
  'KAFKA_UNREACHABLE', 'KAFKA_AUTH', 'KAFKA_TLS', 'KAFKA_PROTOCOL_ERROR', 'KAFKA_CLIENT_ERROR',
  'BROKER_NOT_REGISTERED', 'TOO_FEW_BROKERS', 'BROKER_NOT_IN_SYNC', 'ADVERTISED_UNRESOLVABLE', 'ADVERTISED_UNREACHABLE',
] as const
/** Connect worker and REST API, then connectors. */
export const CONNECT_REASONS = [
  'CONNECT_UNREACHABLE', 'CONNECT_TLS', 'CONNECT_CLIENT_ERROR', 'AUTH', 'CONNECT_HTTP_ERROR', 'CONNECT_REDIRECT', 'CONNECT_BAD_RESPONSE', 'CONNECT_BODY_TOO_LARGE',
  'CONNECT_WORKER_STARTING', 'CONNECT_WORKER_UNHEALTHY',
  'CONNECTOR_FAILED', 'CONNECTOR_UNASSIGNED', 'CONNECTOR_RESTARTING', 'CONNECTOR_PAUSED', 'CONNECTOR_STOPPED', 'CONNECTOR_UNHEALTHY',
  'TASKS_BELOW_MAX', 'NO_CONNECTORS',
] as const

/**
 * Reason codes are metric label values and alert matchers: keep the set closed. PENDING and
 * STALE describe a verdict without a (recent) run, never a run.
 */
export const REASONS = ['OK', 'PENDING', 'STALE', ...RUN_REASONS, ...BROKER_REASONS, ...CONNECT_REASONS] as const

export type Reason = typeof REASONS[number]

export interface CheckResult {
  readonly ok: boolean
  readonly reason: Reason
  /** One line for people: shown after the reason in probe bodies and /status. */
  readonly message: string
  /** Structured facts for /status (e.g. the brokers seen); never secrets. */
  readonly details?: Readonly<Record<string, unknown>>
}

export interface Check {
  /** Stable, URL-safe name: used in /readyz/<name>, ?exclude=<name> and the `check` metric label. */
  readonly name: string
  /**
   * Runs once. `signal` aborts when the run loses its deadline: a check must then drop
   * whatever connection it was waiting on, so the next run starts clean.
   */
  run: (signal: AbortSignal) => Promise<CheckResult>
}

export function pass (message: string, details?: Record<string, unknown>): CheckResult {
  return details === undefined ? { ok: true, reason: 'OK', message } : { ok: true, reason: 'OK', message, details }
}

export function fail (reason: Exclude<Reason, 'OK'>, message: string, details?: Record<string, unknown>): CheckResult {
  return details === undefined ? { ok: false, reason, message } : { ok: false, reason, message, details }
}
