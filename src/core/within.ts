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


/** What orAborted gives when the signal won. */
export const ABORTED: unique symbol = Symbol('aborted')

/**
 * `p`'s value, or ABORTED as soon as `signal` aborts (at once if it already has). The listener is
 * removed either way, so a long-lived signal collects none.
 */
export async function orAborted<T> (signal: AbortSignal, p: Promise<T>): Promise<T | typeof ABORTED> {
  let stop: (() => void) | undefined
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    stop = () => { resolve(ABORTED) }
    signal.addEventListener('abort', stop, { once: true })
    if (signal.aborted) resolve(ABORTED)
  })
  try {
    return await Promise.race([p, aborted])
  } finally {
    if (stop !== undefined) signal.removeEventListener('abort', stop)
  }
}
