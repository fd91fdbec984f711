/** The controller target's reason codes: a closed set (metric label values, alert matchers). */
export const CONTROLLER_REASONS = [
  'CONTROLLER_UNREACHABLE', 'CONTROLLER_AUTH', 'CONTROLLER_TLS', 'CONTROLLER_PROTOCOL_ERROR', 'CONTROLLER_CLIENT_ERROR',
  'NO_QUORUM_LEADER', 'QUORUM_LEADER_UNREACHABLE', 'NOT_A_VOTER', 'CONTROLLER_NOT_CAUGHT_UP',
] as const

declare module '../core/check' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the codes
  interface TargetReasons extends Record<typeof CONTROLLER_REASONS[number], true> {}
}
