import type { CheckResult, Reason } from './check'

/** A finished run as the runner saw it. */
export interface RunRecord extends CheckResult {
  readonly startedAt: number
  readonly finishedAt: number
  readonly durationMs: number
}

/** What the cache holds for one check: the verdict after hysteresis and the run behind it. */
export interface CheckState {
  readonly passing: boolean
  readonly reason: Reason
  readonly message: string
  /** Latched: the check has passed at least once since the agent started (drives /startupz). */
  readonly everPassed: boolean
  readonly consecutiveSuccesses: number
  readonly consecutiveFailures: number
  readonly lastChangeAt: number | undefined
  readonly last: RunRecord | undefined
}

export interface Thresholds {
  readonly failureThreshold: number
  readonly successThreshold: number
}

/** Nothing has run yet: not ready, but not a failure of the peer either. */
export const INITIAL_STATE: CheckState = {
  passing: false,
  reason: 'PENDING',
  message: 'no check run has completed yet',
  everPassed: false,
  consecutiveSuccesses: 0,
  consecutiveFailures: 0,
  lastChangeAt: undefined,
  last: undefined,
}

/**
 * Applies one run to the state. The verdict flips only after `failureThreshold` failures in a
 * row (or `successThreshold` successes), so one slow answer during a GC pause or a leader
 * election does not bounce a pod out of its Service.
 */
export function applyRun (state: CheckState, run: RunRecord, t: Thresholds): { state: CheckState, changed: boolean } {
  const successes = run.ok ? state.consecutiveSuccesses + 1 : 0
  const failures = run.ok ? 0 : state.consecutiveFailures + 1
  const flips = state.passing
    ? !run.ok && failures >= t.failureThreshold
    : run.ok && successes >= t.successThreshold
  const passing = flips ? !state.passing : state.passing
  // A failing verdict always shows the newest failure; a passing one shows the newest success.
  let describe: { reason: CheckState['reason'], message: string } = run.ok === passing ? run : state
  if (!passing && run.ok && state.reason === 'PENDING') {
    describe = { reason: 'PENDING', message: `${successes} of ${t.successThreshold} passing runs needed so far` }
  }
  return {
    changed: flips,
    state: {
      passing,
      reason: describe.reason,
      message: describe.message,
      everPassed: state.everPassed || passing,
      consecutiveSuccesses: successes,
      consecutiveFailures: failures,
      lastChangeAt: flips ? run.finishedAt : state.lastChangeAt,
      last: run,
    },
  }
}
