import type { Logger } from 'pino'
import { ConnectError, type ConnectClient, type ConnectorStatus } from './client'
import type { ConnectTarget } from '../config/connect-target'
import { formatDuration } from '../config/duration'
import { fail, type Check, type CheckResult } from '../core/check'
import { evaluateConnectors, type ConnectorVerdict, type TransitionClock } from './evaluate'
import { REASON_BY_KIND } from './reasons'
import { within } from '../core/within'
import { selector } from '../core/glob'
import { createSelfHealing, type RestartResult, type SelfHealing } from './restart'
import { departedWorkers, tcpDial, type Dial } from './departed'

export const CHECK_CONNECTORS = 'connectors'

function failed (err: unknown): CheckResult {
  if (err instanceof ConnectError) return fail(REASON_BY_KIND[err.kind], err.message)
  // Not a failure the client classified: ours, not the worker's.
  return fail('CONNECT_CLIENT_ERROR', err instanceof Error ? err.message : String(err))
}

/** What the Connect checks report besides their result (metrics hang off this). */
export interface ConnectSink {
  workerUp: (up: boolean) => void
  connectors: (verdicts: readonly ConnectorVerdict[] | undefined) => void
  /** Self-healing asked the worker to restart a connector, with this result. */
  restarted: (connector: string, result: RestartResult) => void
  /** Connectors self-healing has given up on, after each run. */
  givenUp: (connectors: number) => void
}

export interface ConnectChecksDeps {
  readonly client: ConnectClient
  readonly target: ConnectTarget
  /** Monotonic: grace periods must not jump with the wall clock. */
  readonly now: () => number
  /** The runner's deadline; the optional tasks.max call gets half of it. */
  readonly timeoutMs: number
  readonly sink?: ConnectSink
  /** Self-healing logs each restart it asks for. */
  readonly logger?: Logger
  /** How a worker's REST address is tried (departed.ts); a TCP connect in production. */
  readonly dial?: Dial
}

/** Of the run's deadline, what dialling the workers may take; a dial cut short proves nothing. */
const DIAL_SHARE = 0.25

/**
 * Of the run's deadline, self-healing's restart calls get what the status calls left, minus this
 * share as a margin, so a slow restart never turns the verdict into a TIMEOUT. When less than
 * this share is left, due restarts wait for the next run.
 */
const RESTART_MARGIN = 0.1

/**
 * connectors (readiness): the selected connectors and their tasks are in a healthy state. One
 * upstream call per run, plus, with self-healing on, one restart call per connector due for one.
 */
export function connectorsCheck ({ client, target, now, timeoutMs, sink, logger, dial = tcpDial }: ConnectChecksDeps): Check {
  const clock: TransitionClock = new Map()
  // Only an agent that counts every worker's work has to know which workers are gone; a scoped
  // one judges its own worker, which it talks to.
  const checkDeparted = target.departedWorkers && target.scope.kind === 'all'
  const selected = selector(target.selectors)
  let last: Evaluated | undefined
  let healing: SelfHealing | undefined
  if (target.restart !== undefined) {
    const policy = target.restart
    healing = createSelfHealing({
      client,
      scope: target.scope,
      policy,
      now,
      ...(logger !== undefined && { logger }),
      ...(sink !== undefined && { onRestart: sink.restarted, onGivenUp: sink.givenUp }),
    })
    logger?.info({ policy }, `self-healing on: connectors FAILED on this worker are restarted, at most ${policy.maxAttempts} times, ` +
      `${formatDuration(policy.backoffMs)} apart at first, doubling up to ${formatDuration(policy.maxBackoffMs)}`)
  }
  return {
    name: CHECK_CONNECTORS,
    run: async (signal) => {
      const started = performance.now()
      // tasks.max needs ?expand=info, which goes through the herder and can hang: it gets its own,
      // shorter bound, and a slow answer costs only the tasks.max part of this run.
      const info = target.checkTasksMax ? tasksMax(client, signal, timeoutMs / 2) : undefined
      let statuses
      try {
        statuses = await client.connectorStatuses(signal)
      } catch (err) {
        sink?.connectors(undefined)
        return failed(err)
      }
      const departed = checkDeparted ? await within(signal, timeoutMs * DIAL_SHARE, async (bound) => await departedWorkers(statuses, dial, bound, selected)) : undefined
      const max = info === undefined ? undefined : await info
      const maxMap = max instanceof Map ? max : undefined
      const restarted = healing?.restarted()
      // The verdict depends on the time only through transitional states (clock entries) and on
      // self-healing's restarted set; with neither, the same statuses give the same verdicts,
      // and the sink can tell an unchanged run by the identical array.
      if (last === undefined || last.statuses !== statuses || clock.size > 0 || (restarted?.size ?? 0) > 0 || !sameEntries(last.tasksMax, maxMap) ||
        (departed?.size ?? 0) > 0 || last.departed > 0) {
        last = { statuses, tasksMax: maxMap, departed: departed?.size ?? 0, ...evaluateConnectors(statuses, target, now(), clock, maxMap, restarted, departed) }
      }
      const { result, verdicts } = last
      sink?.connectors(verdicts)
      const notes = typeof max === 'string' ? [`tasks.max not checked: ${max}`] : []
      let shown = verdicts
      if (healing !== undefined) {
        // performance.now, not the injectable `now`: the runner's deadline is a real timer.
        const left = timeoutMs * (1 - RESTART_MARGIN) - (performance.now() - started)
        const healed = await within(signal, left < timeoutMs * RESTART_MARGIN ? 0 : left, async (bound) => await healing.heal(verdicts, bound))
        shown = healed.verdicts
        if (healed.note !== '') notes.push(healed.note)
      }
      const note = notes.map((n) => ` (${n})`).join('')
      return { ...result, message: result.message + note, details: { ...result.details, connectors: shown } }
    },
  }
}

interface Evaluated {
  readonly statuses: readonly ConnectorStatus[]
  readonly tasksMax: ReadonlyMap<string, number> | undefined
  /** Workers found gone in that run: while any are, every run evaluates afresh. */
  readonly departed: number
  readonly result: CheckResult
  readonly verdicts: ConnectorVerdict[]
}

function sameEntries (a: ReadonlyMap<string, number> | undefined, b: ReadonlyMap<string, number> | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  if (a.size !== b.size) return false
  for (const [k, v] of a) if (b.get(k) !== v) return false
  return true
}

/** tasks.max per connector, or why it could not be had within `ms`. */
async function tasksMax (client: ConnectClient, signal: AbortSignal, ms: number): Promise<Map<string, number> | string> {
  try {
    return await within(signal, ms, async (bound) => await client.connectorTasksMax(bound))
  } catch (err) {
    return err instanceof ConnectError ? `${REASON_BY_KIND[err.kind]}: ${err.message}` : String(err)
  }
}
