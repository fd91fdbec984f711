import { BrokerError } from './client'

/**
 * `attempt`, or BrokerError('aborted') as soon as `signal` aborts: kafkajs takes no signal, so a
 * call to a hung broker ends with the run's deadline, not with kafkajs's own timers. The loser of
 * the race never becomes an unhandled rejection.
 */
export async function raceAbort<T> (signal: AbortSignal, attempt: Promise<T>): Promise<T> {
  let onAbort: (() => void) | undefined
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => { reject(new BrokerError('aborted', 'deadline passed')) }
    signal.addEventListener('abort', onAbort, { once: true })
  })
  try {
    return await Promise.race([attempt, aborted])
  } finally {
    if (onAbort !== undefined) signal.removeEventListener('abort', onAbort)
    attempt.catch(() => {})
  }
}
