import { ABORTED, orAborted } from '../core/within'
import { BrokerError } from './client'

/**
 * `attempt`, or BrokerError('aborted') as soon as `signal` aborts: kafkajs takes no signal, so a
 * call to a hung broker ends with the run's deadline, not with kafkajs's own timers. The loser of
 * the race never becomes an unhandled rejection.
 */
export async function raceAbort<T> (signal: AbortSignal, attempt: Promise<T>): Promise<T> {
  try {
    const r = await orAborted(signal, attempt)
    if (r === ABORTED) throw new BrokerError('aborted', 'deadline passed')
    return r
  } finally {
    attempt.catch(() => {})
  }
}
