import type { Logger } from 'pino'
import { formatDuration } from '../config/duration'
import type { Check, CheckResult } from './check'
import { INITIAL_STATE, applyRun, type CheckState, type RunRecord, type Thresholds } from './verdict'

export interface RunnerOptions extends Thresholds {
  readonly checks: readonly Check[]
  readonly intervalMs: number
  readonly timeoutMs: number
  /** A verdict older than this (no run finished) reads as STALE. */
  readonly staleAfterMs: number
  /** Wall clock, only for the timestamps people and Prometheus read. */
  readonly now: () => number
  /**
   * Monotonic clock for scheduling, durations and staleness: a wall-clock step (NTP, a VM
   * resumed) must neither stall the loop nor make every verdict STALE. Default performance.now.
   */
  readonly monotonic?: () => number
  readonly logger: Logger
  /** Called after every run, before the cache is updated; metrics hang off this. */
  readonly onRun?: (check: string, run: RunRecord) => void
}

/** A cached verdict as a reader sees it at a given moment, with staleness applied. */
export interface CheckView extends CheckState {
  readonly name: string
  /** The verdict to serve: `passing`, unless the cache went stale. */
  readonly ok: boolean
}

/**
 * Runs every check in the background, each under the same deadline, and keeps the verdicts.
 *
 * A cycle starts all checks at once and ends when the slowest has answered or lost its
 * deadline; the next cycle is armed only then (never overlapping, as in under-pressure), one
 * interval after the previous start. Readers (HTTP, metrics) only call `view`, which never
 * waits on a peer.
 */
export class Runner {
  private readonly states = new Map<string, CheckState>()
  private readonly views = new Map<string, CheckView>()
  /** Monotonic time of each check's last finished run (or of the runner's creation). */
  private readonly finishedAt = new Map<string, number>()
  private readonly inFlight = new Set<AbortController>()
  private readonly mono: () => number
  private timer: NodeJS.Timeout | undefined
  private cycle: Promise<void> | undefined
  private stopped = true
  private changes = 0

  constructor (private readonly opts: RunnerOptions) {
    this.mono = opts.monotonic ?? (() => performance.now())
    const created = this.mono()
    for (const c of opts.checks) {
      this.setState(c.name, INITIAL_STATE)
      this.finishedAt.set(c.name, created)
    }
  }

  get names (): string[] {
    return [...this.states.keys()]
  }

  start (): void {
    if (!this.stopped) return
    this.stopped = false
    // A cycle still finishing from before stop() re-arms the loop itself when it ends.
    if (this.cycle === undefined) this.loop()
  }

  /** Stops scheduling and aborts the runs in flight, so shutdown never waits on a silent peer. */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    for (const c of this.inFlight) c.abort()
    await this.cycle
  }

  /** One cycle of the named checks (default: all); used by the background loop and by one-shot mode. */
  async runCycle (only?: readonly string[]): Promise<void> {
    const checks = only === undefined ? this.opts.checks : this.opts.checks.filter((c) => only.includes(c.name))
    await Promise.all(checks.map(async (check) => {
      const run = await this.runOne(check)
      this.record(check.name, run)
    }))
  }

  /** Counts recorded results: a reader can keep what it built from the views until this moves. */
  get generation (): number {
    return this.changes
  }

  /** This runner's monotonic clock (ms), for callers that read several views at one instant. */
  clock (): number {
    return this.mono()
  }

  /** `now` from clock() lets a caller reading several views read the clock once (~90 ns a read). */
  view (name: string, now = this.mono()): CheckView | undefined {
    // Probe handlers call this on every request: the fresh view is built once per run, not per read.
    const view = this.views.get(name)
    if (view === undefined) return undefined
    const age = now - (this.finishedAt.get(name) ?? 0)
    if (age > this.opts.staleAfterMs) {
      const message = `no check run has completed in ${formatDuration(Math.round(age))} (runs every ${formatDuration(this.opts.intervalMs)})`
      return { ...view, ok: false, reason: 'STALE', message }
    }
    return view
  }

  /** True when some check has had no finished run for too long: the agent itself is stuck. */
  get stale (): boolean {
    const now = this.mono()
    return this.names.some((n) => this.view(n, now)?.reason === 'STALE')
  }

  private loop (): void {
    const startedAt = this.mono()
    this.cycle = this.runCycle().catch((err: unknown) => {
      // record() and onRun() are ours; if one throws, log it and keep the loop alive.
      this.opts.logger.error({ err }, 'check cycle failed')
    }).finally(() => {
      this.cycle = undefined
      if (this.stopped) return
      const wait = Math.max(0, this.opts.intervalMs - (this.mono() - startedAt))
      this.timer = setTimeout(() => { this.loop() }, wait)
      // The HTTP server keeps the process alive; a pending check must not delay exit.
      this.timer.unref()
    })
  }

  private async runOne (check: Check): Promise<RunRecord> {
    const startedAt = this.opts.now()
    const t0 = this.mono()
    const result = await this.withDeadline(check)
    const durationMs = Math.round((this.mono() - t0) * 1000) / 1000
    this.finishedAt.set(check.name, this.mono())
    return { ...result, startedAt, finishedAt: startedAt + durationMs, durationMs }
  }

  private async withDeadline (check: Check): Promise<CheckResult> {
    const controller = new AbortController()
    this.inFlight.add(controller)
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => {
        resolve({ ok: false, reason: 'TIMEOUT', message: `no answer within ${formatDuration(this.opts.timeoutMs)}` })
        // Aborting tells the check to tear its connection down; we do not wait for it to agree.
        controller.abort()
      }, this.opts.timeoutMs)
    })
    const attempt = check.run(controller.signal).catch((err: unknown): CheckResult => {
      // Checks return failures as values; a throw is a bug, but it must not kill the loop.
      this.opts.logger.error({ err, check: check.name }, 'check threw instead of returning a result')
      return { ok: false, reason: 'CHECK_ERROR', message: err instanceof Error ? err.message : String(err) }
    })
    const stopped = new Promise<CheckResult>((resolve) => {
      controller.signal.addEventListener('abort', () => {
        if (this.stopped) resolve({ ok: false, reason: 'SHUTTING_DOWN', message: 'run aborted: the agent is stopping' })
      }, { once: true })
    })
    try {
      return await Promise.race([attempt, deadline, stopped])
    } finally {
      clearTimeout(timer)
      this.inFlight.delete(controller)
      // Whatever the check left running (a fallback call, a slow second request) ends with the run.
      controller.abort()
    }
  }

  private setState (name: string, state: CheckState): void {
    this.states.set(name, state)
    this.changes++
    this.views.set(name, Object.freeze({ ...state, name, ok: state.passing }))
  }

  private record (name: string, run: RunRecord): void {
    this.opts.onRun?.(name, run)
    const before = this.states.get(name) ?? INITIAL_STATE
    const { state, changed } = applyRun(before, run, this.opts)
    this.setState(name, state)
    // The first result counts as a change too: "failing since start" must be in the log once.
    if (changed || (before.last === undefined && !state.passing)) {
      const log = { check: name, reason: state.reason, message: state.message, durationMs: run.durationMs }
      if (state.passing) this.opts.logger.info(log, `check ${name} is passing`)
      else this.opts.logger.warn(log, `check ${name} is failing: ${state.reason}: ${state.message}`)
    }
  }
}
