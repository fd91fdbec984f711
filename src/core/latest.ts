/**
 * The latest view a check produced, and a way to wait for the next one: a target's GET /prestop
 * re-decides at each run and never asks the peer itself. A failed run clears it (with why), so
 * nothing stale is judged safe.
 */
export class LatestStore<T> {
  latest: T | undefined
  /** Why the last run produced no view, if it did not. */
  lastError: string | undefined
  /** When the last run ended (performance.now()), view or not; undefined before the first. */
  updatedAt: number | undefined
  private waiters: Array<() => void> = []

  constructor (private readonly onUpdate?: (view: T | undefined) => void) {}

  update (view: T | undefined, error?: string): void {
    this.onUpdate?.(view)
    this.latest = view
    this.lastError = view === undefined ? error : undefined
    this.updatedAt = performance.now()
    const waiters = this.waiters
    this.waiters = []
    for (const w of waiters) w()
  }

  /** Resolves at the next update, or when `signal` aborts. */
  async next (signal: AbortSignal): Promise<void> {
    if (signal.aborted) return
    await new Promise<void>((resolve) => {
      const done = (): void => { signal.removeEventListener('abort', done); resolve() }
      this.waiters.push(done)
      signal.addEventListener('abort', done, { once: true })
    })
  }
}
