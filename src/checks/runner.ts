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
  readonly now: () => number
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
  private readonly createdAt: number
  private timer: NodeJS.Timeout | undefined
  private cycle: Promise<void> | undefined
  private stopped = true

  constructor (private readonly opts: RunnerOptions) {
    for (const c of opts.checks) this.states.set(c.name, INITIAL_STATE)
    this.createdAt = opts.now()
  }

  get names (): string[] {
    return [...this.states.keys()]
  }

  start (): void {
    if (!this.stopped) return
    this.stopped = false
    this.loop()
  }

  /** Stops scheduling and waits for the run in flight (bounded by the timeout). */
  async stop (): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    await this.cycle
  }

  /** One cycle of every check; used by the background loop and by one-shot mode. */
  async runCycle (): Promise<void> {
    await Promise.all(this.opts.checks.map(async (check) => {
      const run = await this.runOne(check)
      this.record(check.name, run)
    }))
  }

  view (name: string, now = this.opts.now()): CheckView | undefined {
    const state = this.states.get(name)
    if (state === undefined) return undefined
    const since = state.last?.finishedAt ?? this.createdAt
    if (now - since > this.opts.staleAfterMs) {
      const message = `no check run has completed in ${formatDuration(now - since)} (runs every ${formatDuration(this.opts.intervalMs)})`
      return { ...state, name, ok: false, reason: 'STALE', message }
    }
    return { ...state, name, ok: state.passing }
  }

  private loop (): void {
    const startedAt = this.opts.now()
    this.cycle = this.runCycle().finally(() => {
      this.cycle = undefined
      if (this.stopped) return
      const wait = Math.max(0, this.opts.intervalMs - (this.opts.now() - startedAt))
      this.timer = setTimeout(() => { this.loop() }, wait)
      // The HTTP server keeps the process alive; a pending check must not delay exit.
      this.timer.unref()
    })
  }

  private async runOne (check: Check): Promise<RunRecord> {
    const startedAt = this.opts.now()
    const result = await this.withDeadline(check)
    const finishedAt = this.opts.now()
    return { ...result, startedAt, finishedAt, durationMs: finishedAt - startedAt }
  }

  private async withDeadline (check: Check): Promise<CheckResult> {
    const controller = new AbortController()
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => {
        // Aborting tells the check to tear its connection down; we do not wait for it to agree.
        controller.abort()
        resolve({ ok: false, reason: 'TIMEOUT', message: `no answer within ${formatDuration(this.opts.timeoutMs)}` })
      }, this.opts.timeoutMs)
    })
    const attempt = check.run(controller.signal).catch((err: unknown): CheckResult => {
      // Checks return failures as values; a throw is a bug, but it must not kill the loop.
      this.opts.logger.error({ err, check: check.name }, 'check threw instead of returning a result')
      return { ok: false, reason: 'CHECK_ERROR', message: err instanceof Error ? err.message : String(err) }
    })
    try {
      return await Promise.race([attempt, deadline])
    } finally {
      clearTimeout(timer)
    }
  }

  private record (name: string, run: RunRecord): void {
    this.opts.onRun?.(name, run)
    const before = this.states.get(name) ?? INITIAL_STATE
    const { state, changed } = applyRun(before, run, this.opts)
    this.states.set(name, state)
    // The first result counts as a change too: "failing since start" must be in the log once.
    if (changed || (before.last === undefined && !state.passing)) {
      const log = { check: name, reason: state.reason, message: state.message, durationMs: run.durationMs }
      if (state.passing) this.opts.logger.info(log, `check ${name} is passing`)
      else this.opts.logger.warn(log, `check ${name} is failing: ${state.reason}: ${state.message}`)
    }
  }
}
