import type { Logger } from 'pino'
import { ConnectError, shortName, type ConnectClient } from './client'
import type { RestartPolicy, WorkerScope } from '../config/connect-target'
import { formatDuration } from '../config/duration'
import { onThisWorker, type ConnectorVerdict, type RestartInfo } from './evaluate'
import { REASON_BY_KIND } from './reasons'

/** How a restart went, as a metric label value: a closed set. */
export type RestartResult = 'requested' | 'failed' | 'rebalancing'

/**
 * A FAILED instance is restarted only while the connector itself is RUNNING or FAILED: never
 * PAUSED or STOPPED (someone decided that), nor UNASSIGNED or RESTARTING (a rebalance is
 * moving it; the worker would refuse anyway), nor a state this agent does not know.
 */
const RESTARTABLE: ReadonlySet<string> = new Set(['RUNNING', 'FAILED'])

/** At most this many connectors are named in the check's message; /status has them all. */
const LISTED = 5

/** One connector's run of trouble, from its first FAILED on this worker until it has been healthy for a while. */
interface Episode {
  /** Restarts sent (409 refusals do not count). */
  attempts: number
  /** Monotonic time before which no further restart is sent. */
  nextAt: number
  /** A restart was accepted and the connector has not been healthy since: it gets no transition grace. */
  awaiting: boolean
  /** Since when the connector has been healthy; the episode ends after maxBackoffMs of that. */
  healthySince: number | undefined
  gaveUp: boolean
  last: string | null
}

export interface SelfHealingDeps {
  readonly client: ConnectClient
  readonly scope: WorkerScope
  readonly policy: RestartPolicy
  /** Monotonic, like the transition grace: a wall-clock step must not fire or hold back restarts. */
  readonly now: () => number
  readonly logger?: Logger
  readonly onRestart?: (connector: string, result: RestartResult) => void
  /** How many connectors self-healing has given up on, after every run. */
  readonly onGivenUp?: (connectors: number) => void
}

export interface SelfHealing {
  /** Connectors restarted and not healthy since: evaluateConnectors gives them no transition grace. */
  readonly restarted: () => ReadonlySet<string>
  /**
   * After a run's evaluation: restarts, one at a time while `signal` lasts, the selected
   * connectors with a FAILED instance on this worker whose backoff has passed. The rest wait
   * for a later run. Returns the verdicts with what was done about each, and one line for the
   * check's message ('' when there is nothing to say). Never throws for the worker's answers.
   */
  readonly heal: (verdicts: readonly ConnectorVerdict[], signal: AbortSignal) => Promise<{ verdicts: ConnectorVerdict[], note: string }>
}

/** What is FAILED on this worker: "connector", "task 0", … (verdicts hold only this worker's tasks). */
function failedHere (v: ConnectorVerdict, scope: WorkerScope): string[] {
  const out = v.state === 'FAILED' && onThisWorker(scope, v.workerId) ? ['connector'] : []
  for (const t of v.tasks) if (t.state === 'FAILED') out.push(`task ${t.id}`)
  return out
}

/**
 * Opt-in self-healing (--connect-restart-failed). A connector with a FAILED instance on this
 * worker gets POST /connectors/<name>/restart?includeTasks=true&onlyFailed=true at once, then
 * again after the backoff (doubling up to maxBackoffMs) while it stays FAILED, at most
 * maxAttempts times; then the agent gives up on it. Once it has run healthy for maxBackoffMs its
 * count starts over: a connector that fails again a minute after each restart keeps backing off
 * instead of being restarted forever at the first delay.
 *
 * It only asks; the verdict stays with the statuses the worker reports, so readiness fails until
 * a later run sees the connector RUNNING.
 */
export function createSelfHealing (deps: SelfHealingDeps): SelfHealing {
  const { client, scope, policy, now } = deps
  const episodes = new Map<string, Episode>()
  const delay = (attempts: number): number => Math.min(policy.backoffMs * 2 ** Math.max(0, attempts - 1), policy.maxBackoffMs)
  const of = (ep: Episode): string => `${ep.attempts}/${policy.maxAttempts}`

  function waiting (ep: Episode, at: number): string {
    if (ep.attempts >= policy.maxAttempts) return `restart ${of(ep)} ${ep.last ?? ''}, the last one`
    // Whole seconds: backoffs are at least 1 s, and "next in 29998ms" reads worse than "next in 30s".
    return `restart ${of(ep)} ${ep.last ?? ''}, next in ${formatDuration(Math.max(0, Math.ceil((ep.nextAt - at) / 1000) * 1000))} if still FAILED`
  }

  async function restart (v: ConnectorVerdict, ep: Episode, failed: string, signal: AbortSignal): Promise<string> {
    const name = shortName(v.name)
    const attempt = ep.attempts + 1
    const log = { connector: v.name, attempt, maxAttempts: policy.maxAttempts, failed }
    try {
      const outcome = await client.restartConnector(v.name, signal)
      if (outcome === 'rebalancing') {
        // Not an attempt: the worker did nothing. The next run asks again.
        deps.onRestart?.(v.name, 'rebalancing')
        deps.logger?.debug(log, `restart of connector ${name} refused: a rebalance is under way`)
        return 'restart refused (a rebalance is under way), asking again next run'
      }
      if (outcome === 'gone') {
        deps.onRestart?.(v.name, 'failed')
        episodes.delete(v.name)
        deps.logger?.info(log, `restart of connector ${name}: the worker no longer knows it`)
        return 'restart found no such connector (deleted?)'
      }
      ep.attempts = attempt
      ep.awaiting = true
      ep.last = outcome === 'legacy' ? 'requested (worker older than Kafka 3.0: connector instance only)' : 'requested'
      ep.nextAt = now() + delay(attempt)
      deps.onRestart?.(v.name, 'requested')
      const next = attempt >= policy.maxAttempts ? 'the last one' : `next not before ${formatDuration(delay(attempt))} from now`
      deps.logger?.info({ ...log, nextInMs: delay(attempt) }, `restart ${of(ep)} of connector ${name} requested (${failed} FAILED on this worker); ${next}`)
      if (outcome === 'legacy') {
        deps.logger?.warn(log, `the Connect worker answered 204 to restart ${name}: it is older than Kafka 3.0, ignores includeTasks and onlyFailed, and restarted the connector instance only`)
      }
      return waiting(ep, now())
    } catch (err) {
      // Sent, but refused or unanswered (it may still have happened): it counts, and backs off.
      const why = err instanceof ConnectError ? `${REASON_BY_KIND[err.kind]}: ${err.message}` : String(err)
      const hint = err instanceof ConnectError && err.kind === 'auth' ? ' (may these credentials restart connectors?)' : ''
      ep.attempts = attempt
      ep.last = `failed (${why}${hint})`
      ep.nextAt = now() + delay(attempt)
      deps.onRestart?.(v.name, 'failed')
      deps.logger?.warn({ ...log, reason: why }, `restart ${of(ep)} of connector ${name} failed: ${why}${hint}`)
      return waiting(ep, now())
    }
  }

  return {
    restarted: () => new Set([...episodes].filter(([, ep]) => ep.awaiting).map(([name]) => name)),

    heal: async (verdicts, signal) => {
      const at = now()
      const notes = new Map<string, string>()
      const due: Array<{ v: ConnectorVerdict, ep: Episode, failed: string }> = []
      const present = new Set<string>()
      for (const v of verdicts) {
        present.add(v.name)
        const failed = failedHere(v, scope)
        const ep = episodes.get(v.name)
        if (failed.length === 0) {
          if (ep === undefined) continue
          if (v.healthy) {
            ep.awaiting = false
            ep.healthySince ??= at
            if (at - ep.healthySince >= policy.maxBackoffMs) {
              episodes.delete(v.name)
              deps.logger?.info({ connector: v.name }, `connector ${shortName(v.name)} has run healthy for ${formatDuration(policy.maxBackoffMs)}: its restart count starts over`)
            }
            continue
          }
          ep.healthySince = undefined
          if (ep.awaiting) notes.set(v.name, `restart ${of(ep)} requested, waiting for RUNNING`)
          continue
        }
        if (ep !== undefined) ep.healthySince = undefined
        if (!RESTARTABLE.has(v.state)) {
          notes.set(v.name, `not restarted while the connector is ${v.state}`)
          continue
        }
        const episode = ep ?? { attempts: 0, nextAt: at, awaiting: false, healthySince: undefined, gaveUp: false, last: null }
        episodes.set(v.name, episode)
        if (episode.gaveUp) {
          notes.set(v.name, `gave up after ${policy.maxAttempts} restarts; restart it by hand`)
        } else if (at < episode.nextAt) {
          notes.set(v.name, waiting(episode, at))
        } else if (episode.attempts >= policy.maxAttempts) {
          episode.gaveUp = true
          notes.set(v.name, `gave up after ${policy.maxAttempts} restarts; restart it by hand`)
          deps.logger?.warn({ connector: v.name, attempts: episode.attempts, failed: failed.join(', ') },
            `connector ${shortName(v.name)} is still FAILED after ${policy.maxAttempts} restarts: giving up until it has run healthy again`)
        } else {
          due.push({ v, ep: episode, failed: failed.join(', ') })
        }
      }
      // Deleted, no longer selected, or moved to another worker: not ours to track.
      for (const name of episodes.keys()) if (!present.has(name)) episodes.delete(name)

      // One at a time: gentle on the herder, and what the deadline leaves no room for waits.
      for (const { v, ep, failed } of due) {
        notes.set(v.name, signal.aborted
          ? 'restart due, deferred to the next run (this one ran out of time)'
          : await restart(v, ep, failed, signal))
      }
      deps.onGivenUp?.([...episodes.values()].filter((ep) => ep.gaveUp).length)

      const end = now()
      const healthyAgain = (ep: Episode): string => ep.attempts === 0
        ? 'healthy'
        : `healthy again after ${ep.attempts} restart${ep.attempts === 1 ? '' : 's'}; the count starts over once healthy for ${formatDuration(policy.maxBackoffMs)}`
      const out = verdicts.map((v): ConnectorVerdict => {
        const ep = episodes.get(v.name)
        const note = notes.get(v.name) ?? (ep === undefined ? undefined : healthyAgain(ep))
        if (note === undefined) return v
        const info: RestartInfo = {
          attempts: ep?.attempts ?? 0,
          maxAttempts: policy.maxAttempts,
          last: ep?.last ?? null,
          nextInMs: ep === undefined || ep.gaveUp ? null : Math.max(0, Math.ceil(ep.nextAt - end)),
          gaveUp: ep?.gaveUp ?? false,
          note,
        }
        return { ...v, restart: info }
      })
      const listed = verdicts.filter((v) => notes.has(v.name))
      const shown = listed.slice(0, LISTED).map((v) => `${shortName(v.name)} ${notes.get(v.name) ?? ''}`)
      const more = listed.length > LISTED ? `; +${listed.length - LISTED} more` : ''
      return { verdicts: out, note: shown.length === 0 ? '' : `self-healing: ${shown.join('; ')}${more}` }
    },
  }
}
