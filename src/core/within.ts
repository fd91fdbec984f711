/**
 * Runs fn with a signal that aborts with `signal` or after `ms` (at once when 0). A timer of its
 * own, cleared at the end, rather than AbortSignal.timeout: that one lingers until it fires, and
 * inside AbortSignal.any() (which holds its sources weakly) it can be garbage-collected before it
 * fires, leaving the call without its bound.
 */
export async function within<T> (signal: AbortSignal, ms: number, fn: (bound: AbortSignal) => Promise<T>): Promise<T> {
  const bound = new AbortController()
  const abort = (): void => { bound.abort() }
  const timer = setTimeout(abort, Math.floor(ms))
  signal.addEventListener('abort', abort, { once: true })
  if (signal.aborted || ms <= 0) abort()
  try {
    return await fn(bound.signal)
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', abort)
  }
}

