import type { ProgressTarget } from '../config/resolve'
import { fail, pass, type Check, type CheckResult, type Reason } from '../core/check'
import { within } from '../core/within'
import { selector } from '../core/glob'
import { BrokerError, type BrokerErrorKind, type GroupState, type OffsetsClient, type PartitionOffset } from '../kafka/seam'
import { ConnectError, shortName, type ConnectClient, type SinkConfig } from './client'
import type { ConnectorVerdict } from './evaluate'
import { addSample, dropStale, FAILING, judgeConnector, PROGRESS_STATUSES, type ConnectorProgress, type PartitionWindow, type ProgressStatus, type Windows } from './progress-window'
import { REASON_BY_KIND as CONNECT_REASON_BY_KIND, PROGRESS_REASONS } from './reasons'

export const CHECK_SINK_PROGRESS = 'sink-progress'

/** How a failing connector reads as a reason. */
const REASON_BY_STATUS: Readonly<Partial<Record<ProgressStatus, Exclude<Reason, 'OK'>>>> = {
  STALLED: 'CONNECTOR_STALLED', STOPPED: 'CONNECTOR_NOT_CONSUMING', REWOUND: 'CONNECTOR_REWOUND',
}

/** A failed sample's reason: never KAFKA_*, which is the broker in this pod. `aborted` is the deadline. */
const REASON_BY_KIND: Readonly<Record<BrokerErrorKind, Exclude<Reason, 'OK'>>> = {
  unreachable: 'PROGRESS_UNREACHABLE', auth: 'PROGRESS_AUTH', tls: 'PROGRESS_TLS', protocol: 'PROGRESS_PROTOCOL_ERROR', aborted: 'TIMEOUT', client: 'PROGRESS_CLIENT_ERROR',
}

/** One sink connector as /status, /connectors/<name> and the metrics show its progress. */
export interface SinkProgress extends ConnectorProgress {
  readonly name: string
  readonly group: string
  readonly healthy: boolean
  readonly reason: Reason
  /** Members of its group at the last sample; null when the coordinator would not say. */
  readonly members: number | null
}

/** Told the per-connector progress after each sample (undefined: unknown, the sample failed). */
export type ProgressSink = (progress: readonly SinkProgress[] | undefined) => void

export interface ProgressDeps {
  readonly offsets: OffsetsClient
  readonly client: Pick<ConnectClient, 'sinkConfigs'>
  /** The connectors check's latest verdicts: which connectors are selected, on this worker, and sinks. */
  readonly connectors: () => readonly ConnectorVerdict[] | undefined
  readonly target: ProgressTarget
  /** Monotonic milliseconds. */
  readonly now: () => number
  readonly timeoutMs: number
  readonly sink?: ProgressSink
}

const LISTED = 5
/** The share of the run's deadline a sample may take. */
const SAMPLE_SHARE = 0.9
/** The connector state in which a sink is meant to be consuming, and is sampled. */
const CONSUMING = 'RUNNING'

interface Sink extends SinkConfig { readonly name: string }

/**
 * sink-progress: do the selected sink connectors consume? Every `every` runs it samples the
 * sink groups' committed offsets and their partitions' end offsets, keeps a sliding window of
 * samples per partition, and judges it (progress-window.ts). Runs between samples repeat the last
 * verdict. Source connectors are out of scope.
 */
export function progressCheck ({ offsets, client, connectors, target, now, timeoutMs, sink }: ProgressDeps): Check {
  const windows = new Map<string, Windows>()
  let configs = new Map<string, SinkConfig>()
  let configError: Error | undefined
  let skipped = 0
  let last: CheckResult | undefined
  /** The last verdict a sample gave, and how many samples have failed since. */
  let judged: CheckResult | undefined
  let failedInRow = 0
  /** When the last `window` good samples were taken: a partition not sampled since the oldest is stale. */
  const sampleTimes: number[] = []
  const rules = { size: target.window, allowedLag: target.allowedLag }
  const excluded = target.exclude.length === 0 ? () => false : selector(target.exclude)
  const patterns = new Map<string, RegExp | null>()

  async function sample (signal: AbortSignal): Promise<CheckResult | undefined> {
    const verdicts = connectors()
    if (verdicts === undefined) return undefined
    // Configs through the worker's herder, which can hang: half the deadline, and the last ones on failure.
    try {
      configs = await within(signal, timeoutMs / 2, async (bound) => await client.sinkConfigs(bound))
      configError = undefined
    } catch (err) { configError = err instanceof Error ? err : new Error('reading the sink configs failed') }
    const { sinks, notes, unknown } = selectSinks(verdicts)
    // Every RUNNING sink left out because no config can be read is the check switched off in
    // silence: a failed sample instead. With some configs known, those sinks are judged.
    if (sinks.length === 0 && unknown > 0 && configError !== undefined) throw configError
    const note = notes.length === 0 ? '' : ` (${notes.join('; ')})`
    if (sinks.length === 0) {
      sink?.([])
      return pass(`no RUNNING sink connector to judge${note}`, { connectors: [] })
    }

    const groups = [...new Set(sinks.map((s) => s.group))]
    const committed = await offsets.committedOffsets(groups, signal)
    // After the offsets, not beside them: a failure here must not take the offsets' connection
    // down with it. Only STOPPED needs the members: without them a stall reads STALLED.
    const states = await offsets.groupStates(groups, signal).catch((): ReadonlyMap<string, GroupState> => new Map())
    const topicsOf = new Map(sinks.map((s) => [s.name, topicsOfSink(s, committed.get(s.group) ?? [])]))
    const ends = await offsets.endOffsets([...new Set([...topicsOf.values()].flatMap((t) => [...t]))], signal)
    const at = now()
    sampleTimes.push(at)
    if (sampleTimes.length > target.window) sampleTimes.shift()
    const progress: SinkProgress[] = sinks.map((s) => {
      const w: Windows = windows.get(s.name) ?? new Map<string, PartitionWindow>()
      windows.set(s.name, w)
      const answer = committed.get(s.group)
      // A group the coordinator would not answer for this time: no sample, its windows stand.
      if (answer !== undefined) {
        const mine = new Map(answer.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]))
        addSample(w, at, topicsOf.get(s.name) ?? new Set(), mine, ends, target.window)
      }
      // A partition no sample has reached for a whole window while its group answered (a deleted
      // topic, an offline partition) is no longer judged on old samples. A group that does not
      // answer keeps its windows and verdict: its sink cannot commit either.
      if (answer !== undefined && sampleTimes.length === target.window) dropStale(w, sampleTimes[0] as number)
      const members = states.get(s.group)?.members
      const p = judgeConnector(w, rules, members, at)
      const reason = REASON_BY_STATUS[p.status]
      return { name: s.name, group: s.group, healthy: !FAILING.has(p.status), reason: reason ?? 'OK', members: members ?? null, ...p }
    })
    sink?.(progress)
    return summarize(progress, note)
  }

  /**
   * The RUNNING sinks to judge. A PAUSED or STOPPED sink is the connectors check's business, and
   * its windows start afresh when it runs again, so the time it stood still by request never
   * reads as a stall. A sink in another state (UNASSIGNED or RESTARTING in a rebalance) is not
   * sampled but keeps its windows: resetting them would let a sink that rebalances often escape
   * judging for good. A sink whose config was never read, or whose topics.regex JavaScript cannot
   * compile, is left out and said so: guessing its topics from its group's commits could judge
   * topics it no longer reads.
   */
  function selectSinks (verdicts: readonly ConnectorVerdict[]): { sinks: Sink[], notes: string[], unknown: number } {
    const sinks: Sink[] = []
    let unknown = 0
    const unreadable: string[] = []
    const seen = new Set<string>()
    for (const v of verdicts) {
      if (v.type !== 'sink') continue
      seen.add(v.name)
      const config = configs.get(v.name)
      if (v.state === 'PAUSED' || v.state === 'STOPPED' || excluded(v.name) || (config?.connectorClass !== undefined && excluded(config.connectorClass))) {
        windows.delete(v.name)
        continue
      }
      if (v.state !== CONSUMING) continue
      if (config === undefined) {
        unknown++
        continue
      }
      if (config.topicsRegex !== undefined && patternOf(config.topicsRegex) === null) {
        unreadable.push(shortName(v.name))
        continue
      }
      sinks.push({ name: v.name, ...config })
    }
    for (const name of windows.keys()) if (!seen.has(name)) windows.delete(name)
    const notes = [
      ...(unknown === 0 ? [] : [`${unknown} RUNNING sink${unknown === 1 ? '' : 's'} left out: config not read yet`]),
      ...(unreadable.length === 0 ? [] : [`left out, topics.regex not readable here: ${unreadable.slice(0, LISTED).join(', ')}`]),
    ]
    return { sinks, notes, unknown }
  }

  /** A topics.regex compiled once, as Java's Pattern.matches reads it (the whole name); null when JavaScript cannot. */
  function patternOf (regex: string): RegExp | null {
    let re = patterns.get(regex)
    if (re === undefined) {
      try { re = new RegExp(`^(?:${regex})$`) } catch { re = null }
      patterns.set(regex, re)
    }
    return re
  }

  /**
   * The topics a sink is judged on: its `topics`; with `topics.regex`, the topics its group has
   * committed to that the pattern matches. A group keeps the commits of topics it no longer reads
   * while it is active, so commits alone never add a topic to a sink with a `topics` list.
   */
  function topicsOfSink (s: Sink, committed: readonly PartitionOffset[]): Set<string> {
    const re = s.topicsRegex === undefined ? undefined : patternOf(s.topicsRegex)
    if (re === undefined || re === null) return new Set(s.topics)
    return new Set([...s.topics, ...committed.map((o) => o.topic).filter((t) => re.test(t))])
  }

  /**
   * A sample that could not be taken says nothing new about the sinks. A failing verdict stands,
   * marked as such, for up to a window of failed samples: failed samples cluster in a Kafka
   * rolling restart, and a stalled sink must not flap to Ready then. Otherwise, under the
   * readiness policy it passes with the failure in its message: an ACL missing for the agent's
   * principal, or a bootstrap address it cannot reach, would otherwise take every Connect pod out
   * of its Service at once over the agent's own view of Kafka. Under the status policy, which
   * gates nothing, it fails, so /status and the check metrics show it plainly.
   */
  function failedSample (reason: Exclude<Reason, 'OK'>, message: string): CheckResult {
    failedInRow++
    if (judged !== undefined && !judged.ok && failedInRow <= target.window) {
      return { ...judged, message: `${judged.message} (as of the last good sample; ${failedInRow} failed since: ${reason}: ${message})`, details: { ...judged.details, sampleFailed: reason, failedSamples: failedInRow } }
    }
    return target.policy === 'readiness' ? pass(`progress unknown, not gating readiness: ${reason}: ${message}`, { sampleFailed: reason }) : fail(reason, message)
  }

  function offsetsFailure (err: unknown): CheckResult {
    const e = err instanceof BrokerError ? err : new BrokerError('client', err instanceof Error ? err.message : String(err))
    return failedSample(REASON_BY_KIND[e.kind], `sampling the sink groups' offsets failed: ${e.message}`)
  }

  return {
    name: CHECK_SINK_PROGRESS,
    reasons: [...PROGRESS_REASONS, ...new Set(Object.values(CONNECT_REASON_BY_KIND))],
    run: async (signal) => {
      if (last !== undefined && ++skipped < target.every) return last
      skipped = 0
      try {
        // Its own bound inside the run's, so a hung cluster ends as this check's answer (which
        // the readiness policy turns into a pass) rather than the runner's TIMEOUT.
        const result = await within(signal, timeoutMs * SAMPLE_SHARE, sample)
        // Nothing to sample yet is no sample: the next run tries again.
        if (result !== undefined) {
          last = judged = result
          failedInRow = 0
        }
        return result ?? pass('no connector list yet (the connectors check has not answered)', { connectors: [] })
      } catch (err) {
        sink?.(undefined)
        // The windows stay: a failed sample is a gap, not a reset.
        last = err instanceof ConnectError
          ? failedSample(CONNECT_REASON_BY_KIND[err.kind], `reading the sink connectors' configs failed: ${err.message}`)
          : offsetsFailure(err)
        return last
      }
    },
  }
}

function describe (p: SinkProgress): string {
  const time = p.timeLagSeconds === null ? '' : `, ${p.timeLagSeconds}s behind`
  const where = p.worst.filter((w) => FAILING.has(w.status)).map((w) => `${w.topic}-${w.partition}`).join(',')
  return `${shortName(p.name)} ${p.status}: lag ${p.lag}${time}${where === '' ? '' : ` (${where})`}`
}

function summarize (progress: readonly SinkProgress[], notes: string): CheckResult {
  const details = { connectors: progress }
  const bad = progress.filter((p) => !p.healthy)
  const filling = progress.filter((p) => p.status === 'FILLING').length
  const note = (filling > 0 ? ` (${filling} still filling the window)` : '') + notes
  if (bad.length === 0) return pass(`${progress.length} sink connector${progress.length === 1 ? '' : 's'} consuming${note}`, details)
  const list = bad.slice(0, LISTED).map(describe).join('; ')
  const more = bad.length > LISTED ? `; +${bad.length - LISTED} more` : ''
  const worst = [...bad].sort((a, b) => PROGRESS_STATUSES.indexOf(a.status) - PROGRESS_STATUSES.indexOf(b.status))[0]?.reason
  return fail(worst === undefined || worst === 'OK' ? 'CONNECTOR_STALLED' : worst, `${bad.length} of ${progress.length} sink connectors not consuming: ${list}${more}${notes}`, details)
}
