/** The broker target's reason codes: a closed set (metric label values, alert matchers). */
export const KAFKA_REASONS = [
  'KAFKA_UNREACHABLE', 'KAFKA_AUTH', 'KAFKA_TLS', 'KAFKA_PROTOCOL_ERROR', 'KAFKA_CLIENT_ERROR',
  'BROKER_NOT_REGISTERED', 'TOO_FEW_BROKERS', 'BROKER_NOT_IN_SYNC', 'ADVERTISED_UNRESOLVABLE', 'ADVERTISED_UNREACHABLE',
] as const

declare module '../core/check' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the codes
  interface TargetReasons extends Record<typeof KAFKA_REASONS[number], true> {}
}
