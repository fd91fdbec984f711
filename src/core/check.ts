/**
 * The one contract every check implements, and the bounded set of reasons a result can carry.
 *
 * A check does one thing against one peer and reports a value; it never throws for a peer's
 * failure and never owns timing. Deadline, timing, hysteresis, caching and metrics belong to
 * the runner, so every check behaves the same under a hung peer.
 */

/** Reasons the runner gives any check's run: it missed its deadline, threw, or the agent stopped. */
export const RUN_REASONS = ['TIMEOUT', 'CHECK_ERROR', 'SHUTTING_DOWN'] as const

/** PENDING and STALE describe a verdict without a (recent) run, never a run. */
export const CORE_REASONS = ['OK', 'PENDING', 'STALE', ...RUN_REASONS] as const

/** A target's secret or certificate files changed but do not load (core/rotation.ts). */
export const ROTATION_REASONS = ['FILE_RELOAD_FAILED'] as const

/**
 * Each target adds its own reason codes here, by declaration merging from its reasons.ts
 * (`declare module '../core/check' { interface TargetReasons extends Record<…, true> {} }`), so
 * Reason stays one closed union without core importing any target. The agent joins the targets'
 * runtime lists (TargetParts.reasons); src/targets.ts has them all.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the targets
export interface TargetReasons {}

/** Reason codes are metric label values and alert matchers: keep the set closed. */
export type Reason = typeof CORE_REASONS[number] | typeof ROTATION_REASONS[number] | keyof TargetReasons

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
  /** The reasons it fails with, when fewer than its target's (e.g. the rotation check's). */
  readonly reasons?: readonly Reason[]
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
