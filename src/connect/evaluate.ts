import { shortName, type ConnectorStatus, type TaskStatus } from './client'
import type { ConnectTarget, WorkerScope } from '../config/connect-target'
import { fail, pass, type CheckResult, type Reason } from '../core/check'
import { selector } from '../core/glob'

/** States that rebalances pass through; tolerated for --connect-transition-grace. */
const TRANSITIONAL = new Set(['UNASSIGNED', 'RESTARTING'])

/** Worst first: the reason a connector (and the check) reports is its worst problem. */
const REASON_BY_STATE: ReadonlyArray<readonly [string, Exclude<Reason, 'OK'>]> = [
  ['FAILED', 'CONNECTOR_FAILED'], ['UNASSIGNED', 'CONNECTOR_UNASSIGNED'], ['RESTARTING', 'CONNECTOR_RESTARTING'],
  ['PAUSED', 'CONNECTOR_PAUSED'], ['STOPPED', 'CONNECTOR_STOPPED'],
]
const SEVERITY: readonly Reason[] = [...REASON_BY_STATE.map(([, r]) => r), 'CONNECTOR_UNHEALTHY', 'TASKS_BELOW_MAX']

export interface TaskVerdict {
  readonly id: number
  readonly state: string
  readonly workerId: string
  readonly healthy: boolean
  readonly trace?: string
}

/** One connector as /status and /connectors/<name> show it. */
export interface ConnectorVerdict {
  readonly name: string
  readonly healthy: boolean
  readonly reason: Reason
  /** e.g. ["connector PAUSED", "task 2 FAILED on 10.0.0.7:8083: java.lang.RuntimeException: boom"] */
  readonly problems: readonly string[]
  readonly state: string
  readonly workerId: string
  readonly type: string
  readonly trace?: string
  readonly tasks: readonly TaskVerdict[]
  readonly tasksMax?: number
  /** Self-healing's view of this connector (with --connect-restart-failed), once it has had to act. */
  readonly restart?: RestartInfo
}

/** What self-healing did and will do about one connector, for /status and /connectors/<name>. */
export interface RestartInfo {
  /** Restarts requested (or tried) since the connector was last healthy for a while. */
  readonly attempts: number
  readonly maxAttempts: number
  /** How the last attempt went, e.g. "requested" or "failed (AUTH: connector_restart: HTTP 403 …)". */
  readonly last: string | null
  /** Milliseconds until another restart may be sent (0: now); null once given up. */
  readonly nextInMs: number | null
  /** The cap is reached: no more restarts until the connector has run healthy again. */
  readonly gaveUp: boolean
  /** One line for people, as in the check's message. */
  readonly note: string
}

export type EvaluateOptions = Pick<ConnectTarget,
  'selectors' | 'scope' | 'healthyStates' | 'transitionGraceMs' | 'checkTasksMax' | 'unhealthyTolerancePct' | 'requireConnectors' | 'traceLength'>

/** Since when each connector/task has been UNASSIGNED or RESTARTING; kept by the check across runs. */
export type TransitionClock = Map<string, number>

function hostOf (workerId: string): string {
  const m = /^\[([^\]]+)\]:\d+$/.exec(workerId) ?? /^(.*):\d+$/.exec(workerId)
  return (m?.[1] ?? workerId).toLowerCase()
}

/** Whether a worker_id is this pod's worker under --connect-worker-id. */
export function onThisWorker (scope: WorkerScope, workerId: string): boolean {
  if (scope.kind === 'all') return true
  if (scope.kind === 'exact') return workerId.toLowerCase() === scope.workerId
  const host = hostOf(workerId)
  // connect-0 also matches connect-0.connect.ns.svc.cluster.local.
  return scope.hosts.some((h) => host === h || host.startsWith(`${h}.`))
}

function firstLine (trace: string | undefined, max: number): string {
  return (trace ?? '').split('\n', 1)[0]?.trim().slice(0, max) ?? ''
}

interface Problem { readonly reason: Exclude<Reason, 'OK'>, readonly text: string }
type Mutable<T> = { -readonly [K in keyof T]: T[K] }
const NO_PROBLEMS: readonly string[] = Object.freeze([])

function reasonOf (state: string): Exclude<Reason, 'OK'> {
  return REASON_BY_STATE.find(([st]) => st === state)?.[1] ?? 'CONNECTOR_UNHEALTHY'
}

/** The worst of some reasons, by SEVERITY. */
function worstOf (reasons: readonly Reason[]): Reason {
  return [...reasons].sort((a, b) => SEVERITY.indexOf(a) - SEVERITY.indexOf(b))[0] ?? 'CONNECTOR_UNHEALTHY'
}

/** After a restart of ours, say why a RESTARTING that would pass otherwise does not. */
function why (trace: string | undefined, state: string, strict: boolean, traceLine: number): string {
  const line = firstLine(trace, traceLine)
  if (line !== '') return `: ${line}`
  return strict && TRANSITIONAL.has(state) ? ' (restarted; not RUNNING yet)' : ''
}

/**
 * `restarted`: connectors self-healing restarted that have not been healthy since. Their
 * UNASSIGNED and RESTARTING get no grace: readiness stays failed until they are RUNNING again.
 */
export function evaluateConnectors (
  statuses: readonly ConnectorStatus[], opts: EvaluateOptions, now: number, clock: TransitionClock, tasksMax?: ReadonlyMap<string, number>,
  restarted: ReadonlySet<string> = new Set(), departed: ReadonlySet<string> = new Set(),
): { result: CheckResult, verdicts: ConnectorVerdict[] } {
  const selected = selector(opts.selectors)
  const healthyStates = new Set(opts.healthyStates)
  const seen = new Set<string>()

  /** Healthy, or transitional and still inside the grace period (none after a restart of ours). */
  function judge (connector: string, task: number | undefined, state: string, strict: boolean): boolean {
    if (healthyStates.has(state)) return true
    if (!TRANSITIONAL.has(state)) return false
    const key = task === undefined ? connector : `${connector}\u0000${task}`
    seen.add(key)
    const since = clock.get(key) ?? now
    clock.set(key, since)
    return !strict && now - since < opts.transitionGraceMs
  }

  /**
   * RUNNING on a worker that is gone (departed.ts): nothing runs it, so it is judged as the
   * UNASSIGNED it really is, grace included, and said so.
   */
  const orphaned = (state: string, workerId: string): boolean => departed.size > 0 && state === 'RUNNING' && departed.has(workerId)
  const GONE_NOTE = ', a worker that is gone (its work not yet moved)'

  const verdicts: ConnectorVerdict[] = []
  const elsewhere = new Set<string>()
  let skipped = 0
  const traceLine = Math.min(300, opts.traceLength)
  // Thousands of connectors and tasks per run on a big worker: this loop builds object literals
  // and allocates nothing for a healthy connector beyond its verdict (bench/connect-phases.ts).
  for (const s of statuses) {
    if (!selected(s.name)) continue
    const ownsConnector = onThisWorker(opts.scope, s.workerId)
    const tasks = opts.scope.kind === 'all' ? s.tasks : s.tasks.filter((t) => onThisWorker(opts.scope, t.workerId))
    // Under worker scoping, a connector with nothing on this worker is another pod's business.
    if (!ownsConnector && tasks.length === 0) {
      elsewhere.add(s.workerId)
      skipped++
      continue
    }

    let problems: Problem[] | undefined
    const strict = restarted.has(s.name)
    const connectorOrphaned = orphaned(s.state, s.workerId)
    const connectorState = connectorOrphaned ? 'UNASSIGNED' : s.state
    if (ownsConnector && !judge(s.name, undefined, connectorState, strict)) {
      (problems ??= []).push(connectorOrphaned
        ? { reason: 'CONNECTOR_UNASSIGNED', text: `connector RUNNING on ${s.workerId}${GONE_NOTE}` }
        : { reason: reasonOf(s.state), text: `connector ${s.state}${why(s.trace, s.state, strict, traceLine)}` })
    }
    const taskVerdicts = new Array<TaskVerdict>(tasks.length)
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i] as TaskStatus
      const taskOrphaned = orphaned(t.state, t.workerId)
      const healthy = judge(s.name, t.id, taskOrphaned ? 'UNASSIGNED' : t.state, strict)
      if (!healthy) {
        (problems ??= []).push(taskOrphaned
          ? { reason: 'CONNECTOR_UNASSIGNED', text: `task ${t.id} RUNNING on ${t.workerId}${GONE_NOTE}` }
          : { reason: reasonOf(t.state), text: `task ${t.id} ${t.state} on ${t.workerId}${why(t.trace, t.state, strict, traceLine)}` })
      }
      taskVerdicts[i] = t.trace === undefined
        ? { id: t.id, state: t.state, workerId: t.workerId, healthy }
        : { id: t.id, state: t.state, workerId: t.workerId, healthy, trace: t.trace.slice(0, opts.traceLength) }
    }
    // Missing tasks (fewer than tasks.max exist at all) are the business of the worker that runs
    // the connector instance. Tasks that exist are judged by their own state, above, on their own
    // worker: a task FAILED elsewhere must not fail this pod through tasks.max either.
    const max = opts.checkTasksMax && ownsConnector ? tasksMax?.get(s.name) : undefined
    if (max !== undefined && s.tasks.length < max) {
      (problems ??= []).push({ reason: 'TASKS_BELOW_MAX', text: `only ${s.tasks.length} of tasks.max ${max} tasks exist` })
    }
    const healthy = problems === undefined
    const reason = problems === undefined ? 'OK' : worstOf(problems.map((p) => p.reason))
    const texts = problems === undefined ? NO_PROBLEMS : problems.map((p) => p.text)
    const trace = s.trace?.slice(0, opts.traceLength)
    // Two literals rather than a spread (faster here), with /status's key order: trace before tasks.
    const verdict: Mutable<ConnectorVerdict> = trace === undefined
      ? { name: s.name, healthy, reason, problems: texts, state: s.state, workerId: s.workerId, type: s.type, tasks: taskVerdicts }
      : { name: s.name, healthy, reason, problems: texts, state: s.state, workerId: s.workerId, type: s.type, trace, tasks: taskVerdicts }
    if (max !== undefined) verdict.tasksMax = max
    verdicts.push(verdict)
  }
  // Forget transitions that ended, so a later UNASSIGNED starts a fresh grace period.
  for (const key of clock.keys()) if (!seen.has(key)) clock.delete(key)

  return { result: summarize(verdicts, opts, elsewhere, skipped), verdicts }
}

const LISTED = 5

function summarize (verdicts: readonly ConnectorVerdict[], opts: EvaluateOptions, elsewhere: ReadonlySet<string>, skipped: number): CheckResult {
  const total = verdicts.length
  const unhealthy = verdicts.filter((v) => !v.healthy)
  const counts = { connectors: total, unhealthy: unhealthy.length, onOtherWorkers: skipped }
  if (total === 0) {
    // Nothing here but work elsewhere: right on a big cluster, a misread --connect-worker-id on a
    // small one. Say which worker ids were seen so a person can tell.
    const seen = elsewhere.size === 0 ? '' : `; selected connectors run only on ${[...elsewhere].slice(0, 5).map(shortName).join(', ')} (check --connect-worker-id)`
    return opts.requireConnectors
      ? fail('NO_CONNECTORS', `no connector is selected (--connect-require-connectors is set)${seen}`, counts)
      : pass(`no connector is selected${seen}`, counts)
  }
  if (unhealthy.length === 0) return pass(`${total} connector${total === 1 ? '' : 's'} healthy`, counts)
  const list = unhealthy.slice(0, LISTED).map((v) => `${shortName(v.name)} ${v.problems.join(', ')}`).join('; ')
  const more = unhealthy.length > LISTED ? `; +${unhealthy.length - LISTED} more` : ''
  const summary = `${unhealthy.length} of ${total} connectors unhealthy: ${list}${more}`
  if (unhealthy.length * 100 <= opts.unhealthyTolerancePct * total) {
    return pass(`within the ${opts.unhealthyTolerancePct}% tolerance: ${summary}`, counts)
  }
  const worst = worstOf(unhealthy.map((v) => v.reason))
  return fail(worst === 'OK' ? 'CONNECTOR_UNHEALTHY' : worst, summary, counts)
}
