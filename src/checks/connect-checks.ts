import { ConnectError, type ConnectClient, type ConnectErrorKind, type WorkerHealth } from '../clients/connect-client'
import type { ConnectTarget } from '../config/connect-target'
import { fail, pass, type Check, type CheckResult, type Reason } from './check'
import { evaluateConnectors, type ConnectorVerdict, type TransitionClock } from './connect-evaluate'

export const CHECK_CONNECT_WORKER = 'connect-worker'
export const CHECK_CONNECT_READY = 'connect-ready'
export const CHECK_CONNECTORS = 'connectors'

const REASON_BY_KIND: Record<ConnectErrorKind, Exclude<Reason, 'OK'>> = {
  unreachable: 'CONNECT_UNREACHABLE',
  aborted: 'TIMEOUT',
  auth: 'AUTH',
  http: 'CONNECT_HTTP_ERROR',
  redirect: 'CONNECT_REDIRECT',
  'bad-response': 'CONNECT_BAD_RESPONSE',
  'too-large': 'CONNECT_BODY_TOO_LARGE',
}

function failed (err: unknown): CheckResult {
  if (err instanceof ConnectError) return fail(REASON_BY_KIND[err.kind], err.message)
  return fail('CONNECT_UNREACHABLE', err instanceof Error ? err.message : String(err))
}

/** What the Connect checks report besides their result (metrics hang off this). */
export interface ConnectSink {
  workerUp: (up: boolean) => void
  connectors: (verdicts: readonly ConnectorVerdict[] | undefined) => void
}

export interface ConnectChecksDeps {
  readonly client: ConnectClient
  readonly target: ConnectTarget
  /** Monotonic: grace periods must not jump with the wall clock. */
  readonly now: () => number
  readonly sink?: ConnectSink
}

/**
 * Liveness and readiness both read /health; they share one in-flight request per cycle so the
 * worker sees one call, not two.
 */
function sharedHealth (client: ConnectClient): (signal: AbortSignal) => Promise<WorkerHealth> {
  let inFlight: Promise<WorkerHealth> | undefined
  return async (signal) => {
    inFlight ??= client.health(signal).finally(() => { inFlight = undefined })
    return await inFlight
  }
}

/**
 * connect-worker (liveness): the worker answers /health as healthy or still starting. /health
 * goes through the herder, so a "zombie" worker whose status endpoint still says RUNNING fails
 * here. A 500 fails; so does no answer within the deadline.
 *
 * connect-ready (readiness, startup): the same answer, but "starting" is not ready yet.
 */
export function connectWorkerChecks ({ client, sink }: ConnectChecksDeps): Check[] {
  const health = sharedHealth(client)
  async function ask (signal: AbortSignal): Promise<WorkerHealth | CheckResult> {
    try {
      const h = await health(signal)
      sink?.workerUp(h.status !== 'unhealthy')
      return h
    } catch (err) {
      sink?.workerUp(false)
      return failed(err)
    }
  }
  const describe = (h: WorkerHealth): string => `worker is ${h.status}${h.message === '' ? '' : `: ${h.message}`}`
  return [
    {
      name: CHECK_CONNECT_WORKER,
      run: async (signal) => {
        const h = await ask(signal)
        if ('ok' in h) return h
        return h.status === 'unhealthy' ? fail('CONNECT_WORKER_UNHEALTHY', describe(h)) : pass(describe(h), { status: h.status, legacy: h.legacy })
      },
    },
    {
      name: CHECK_CONNECT_READY,
      run: async (signal) => {
        const h = await ask(signal)
        if ('ok' in h) return h
        if (h.status === 'starting') return fail('CONNECT_WORKER_STARTING', describe(h))
        return h.status === 'unhealthy' ? fail('CONNECT_WORKER_UNHEALTHY', describe(h)) : pass(describe(h), { status: h.status, legacy: h.legacy })
      },
    },
  ]
}

/** connectors (readiness): the selected connectors and their tasks are in a healthy state. One upstream call per run. */
export function connectorsCheck ({ client, target, now, sink }: ConnectChecksDeps): Check {
  const clock: TransitionClock = new Map()
  return {
    name: CHECK_CONNECTORS,
    run: async (signal) => {
      let statuses
      try {
        statuses = await client.connectorStatuses(signal, { withInfo: target.checkTasksMax })
      } catch (err) {
        sink?.connectors(undefined)
        return failed(err)
      }
      const { result, verdicts } = evaluateConnectors(statuses, target, now(), clock)
      sink?.connectors(verdicts)
      return { ...result, details: { ...result.details, connectors: verdicts } }
    },
  }
}
