import type { ConnectErrorKind } from './client'
import type { Reason } from '../core/check'

/**
 * Sink progress (progress.ts): a RUNNING sink that does not consume, and the Kafka side of the
 * check failing. Distinct from the KAFKA_* codes: those are the broker in this pod.
 */
export const PROGRESS_REASONS = [
  'CONNECTOR_STALLED', 'CONNECTOR_NOT_CONSUMING', 'CONNECTOR_REWOUND',
  'PROGRESS_UNREACHABLE', 'PROGRESS_AUTH', 'PROGRESS_TLS', 'PROGRESS_PROTOCOL_ERROR', 'PROGRESS_CLIENT_ERROR',
] as const

/** The Connect target's reason codes: the worker and its REST API, then connectors. A closed set. */
export const CONNECT_REASONS = [
  'CONNECT_UNREACHABLE', 'CONNECT_TLS', 'CONNECT_CLIENT_ERROR', 'AUTH', 'CONNECT_HTTP_ERROR', 'CONNECT_REDIRECT', 'CONNECT_BAD_RESPONSE', 'CONNECT_BODY_TOO_LARGE',
  'CONNECT_WORKER_STARTING', 'CONNECT_WORKER_UNHEALTHY',
  'CONNECTOR_FAILED', 'CONNECTOR_UNASSIGNED', 'CONNECTOR_RESTARTING', 'CONNECTOR_PAUSED', 'CONNECTOR_STOPPED', 'CONNECTOR_UNHEALTHY',
  'TASKS_BELOW_MAX', 'NO_CONNECTORS',
  ...PROGRESS_REASONS,
] as const

declare module '../core/check' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the codes
  interface TargetReasons extends Record<typeof CONNECT_REASONS[number], true> {}
}

/** How Connect client failures read as reasons: in probe bodies, /status and metric labels alike. */
export const REASON_BY_KIND: Readonly<Record<ConnectErrorKind, Exclude<Reason, 'OK'>>> = {
  unreachable: 'CONNECT_UNREACHABLE',
  tls: 'CONNECT_TLS',
  aborted: 'TIMEOUT',
  auth: 'AUTH',
  http: 'CONNECT_HTTP_ERROR',
  redirect: 'CONNECT_REDIRECT',
  'bad-response': 'CONNECT_BAD_RESPONSE',
  'too-large': 'CONNECT_BODY_TOO_LARGE',
  client: 'CONNECT_CLIENT_ERROR',
}
