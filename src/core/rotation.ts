import type { Logger } from 'pino'
import { ROTATION_REASONS, fail, pass, type Check, type CheckResult } from './check'

export interface RotationOptions<T> {
  /** The check's name, e.g. kafka-files: it shows in /status and the check metrics. */
  readonly name: string
  /** The material the target started with. */
  readonly initial: T
  /** Reads the files again and derives the material; throws on a missing or broken file. */
  readonly reread: () => T
  /** Called with new material when the files changed and it loads; builds new clients. */
  readonly swap: (next: T) => void
  readonly logger: Logger
}

/**
 * Secrets and certificates mounted from Secrets rotate under a running pod: cert-manager,
 * Strimzi, external-secrets and plain Secret updates swap the files (the kubelet flips a
 * `..data` symlink at once). This check reads them again on every run; when they changed and
 * load, the target swaps to new material (new clients) without a restart. When the new files
 * are broken (half-written, unparsable, missing), it keeps the last good material and fails
 * (FILE_RELOAD_FAILED, shown in /status and counted in kafka_healthz_check_failures_total):
 * a status signal only, never wired to a probe, because the agent still talks to its peer with
 * what it had.
 */
export function rotationCheck<T> (opts: RotationOptions<T>): Check {
  let current = JSON.stringify(opts.initial)
  let reloads = 0
  let lastError: string | undefined
  // The files are small and local: read synchronously, once per run.
  function reload (): CheckResult {
    let next: T
    try {
      next = opts.reread()
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err)
      if (why !== lastError) opts.logger.warn({ check: opts.name }, `files changed but do not load; keeping the last good material: ${why}`)
      lastError = why
      return fail('FILE_RELOAD_FAILED', `${why}; still using the last good material`, { reloads })
    }
    lastError = undefined
    const text = JSON.stringify(next)
    if (text !== current) {
      current = text
      reloads++
      opts.swap(next)
      opts.logger.info({ check: opts.name, reloads }, 'files changed: new material loaded, clients rebuilt')
    }
    return pass(reloads === 0 ? 'files unchanged since start' : `files reloaded ${reloads} time${reloads === 1 ? '' : 's'} since start`, { reloads })
  }
  return { name: opts.name, reasons: ROTATION_REASONS, run: async () => await Promise.resolve(reload()) }
}

/**
 * Holds the client a target currently talks through, so a rotation can swap it while checks
 * keep their one reference (they call through `current()`). The client it replaces is closed
 * after `graceMs`, once whatever run was using it has ended.
 */
export function swappable<C extends { close: () => Promise<void> }> (initial: C, graceMs: number): { current: () => C, swap: (next: C) => void, close: () => Promise<void> } {
  let current = initial
  const retiring = new Map<C, NodeJS.Timeout>()
  return {
    current: () => current,
    swap: (next) => {
      const old = current
      current = next
      const timer = setTimeout(() => { retiring.delete(old); void old.close().catch(() => {}) }, graceMs)
      timer.unref()
      retiring.set(old, timer)
    },
    close: async () => {
      for (const timer of retiring.values()) clearTimeout(timer)
      const all = [current, ...retiring.keys()]
      retiring.clear()
      await Promise.all(all.map(async (c) => { await c.close() }))
    },
  }
}
