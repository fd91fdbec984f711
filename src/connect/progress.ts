import type { ProgressTarget } from '../config/resolve'
import { fail, pass, type Check, type CheckResult, type Reason } from '../core/check'
import { within } from '../core/within'
import { selector } from '../core/glob'
import { BrokerError, type BrokerErrorKind, type GroupState, type OffsetsClient, type PartitionOffset } from '../kafka/seam'
import { shortName, type ConnectClient, type SinkConfig } from './client'
import type { ConnectorVerdict } from './evaluate'
import { addSample, FAILING, judgeConnector, PROGRESS_STATUSES, type ConnectorProgress, type PartitionWindow, type ProgressStatus, type Windows } from './progress-window'
import { PROGRESS_REASONS } from './reasons'

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
/** Connector states in which a sink is meant to be consuming; the rest reset its windows. */
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
  let skipped = 0
  let last: CheckResult | undefined
  const rules = { size: target.window, allowedLag: target.allowedLag }
  const excluded = target.exclude.length === 0 ? () => false : selector(target.exclude)

  async function sample (signal: AbortSignal): Promise<CheckResult | undefined> {
    const verdicts = connectors()
    if (verdicts === undefined) return undefined
    // Configs through the worker's herder, which can hang: half the deadline, and the last ones on failure.
    try {
      configs = await within(signal, timeoutMs / 2, async (bound) => await client.sinkConfigs(bound))
    } catch { /* the last configs stand */ }
    // Only a RUNNING sink is meant to consume: a PAUSED or STOPPED one is the connectors check's
    // business, and its window starts afresh when it runs again, so the time it stood still
    // by request never reads as a stall. A sink whose config was never read is left out: its
    // topics are unknown, and guessing them from its group's commits could judge a topic it
    // no longer reads.
    const sinks: Sink[] = []
    let unknown = 0
    for (const v of verdicts) {
      if (v.type !== 'sink') continue
      const config = configs.get(v.name)
      if (v.state !== CONSUMING || config === undefined || excluded(v.name) || (config.connectorClass !== undefined && excluded(config.connectorClass))) {
        windows.delete(v.name)
        if (v.state === CONSUMING && config === undefined) unknown++
        continue
      }
      sinks.push({ name: v.name, ...config })
    }
    const names = new Set(sinks.map((s) => s.name))
    for (const name of windows.keys()) if (!names.has(name)) windows.delete(name)
    const unread = unknown === 0 ? '' : ` (${unknown} RUNNING sink${unknown === 1 ? '' : 's'} left out: config not read yet)`
    if (sinks.length === 0) {
      sink?.([])
      return pass(`no RUNNING sink connector to judge${unread}`, { connectors: [] })
    }

    const groups = [...new Set(sinks.map((s) => s.group))]
    const [committed, states] = await Promise.all([
      offsets.committedOffsets(groups, signal),
      // Only STOPPED needs the members: without them a stall reads STALLED.
      offsets.groupStates(groups, signal).catch((): ReadonlyMap<string, GroupState> => new Map()),
    ])
    const topicsOf = new Map(sinks.map((s) => [s.name, topicsOfSink(s, committed.get(s.group) ?? [])]))
    const ends = await offsets.endOffsets([...new Set([...topicsOf.values()].flatMap((t) => [...t]))], signal)
    const at = now()
    const progress: SinkProgress[] = sinks.map((s) => {
      const w: Windows = windows.get(s.name) ?? new Map<string, PartitionWindow>()
      windows.set(s.name, w)
      const answer = committed.get(s.group)
      // A group the coordinator would not answer for this time: no sample, its windows stand.
      if (answer !== undefined) {
        const mine = new Map(answer.map((o) => [`${o.topic}\u0000${o.partition}`, o.offset]))
        addSample(w, at, topicsOf.get(s.name) ?? new Set(), mine, ends, target.window)
      }
      const members = states.get(s.group)?.members
      const p = judgeConnector(w, rules, members, at)
      const reason = REASON_BY_STATUS[p.status]
      return { name: s.name, group: s.group, healthy: !FAILING.has(p.status), reason: reason ?? 'OK', members: members ?? null, ...p }
    })
    sink?.(progress)
    return summarize(progress, unread)
  }

  return {
    name: CHECK_SINK_PROGRESS,
    reasons: [...PROGRESS_REASONS],
    run: async (signal) => {
      if (last !== undefined && ++skipped < target.every) return last
      skipped = 0
      try {
        // Its own bound inside the run's, so a hung cluster ends as this check's answer (which
        // the readiness policy turns into a pass) rather than the runner's TIMEOUT.
        const result = await within(signal, timeoutMs * SAMPLE_SHARE, sample)
        // Nothing to sample yet is no sample: the next run tries again.
        if (result !== undefined) last = result
        return result ?? pass('no connector list yet (the connectors check has not answered)', { connectors: [] })
      } catch (err) {
        sink?.(undefined)
        const e = err instanceof BrokerError ? err : new BrokerError('client', err instanceof Error ? err.message : String(err))
        // The windows stay: a failed sample is a gap, not a reset.
        last = failedSample(REASON_BY_KIND[e.kind], `sampling the sink groups' offsets failed: ${e.message}`, target.policy)
        return last
      }
    },
  }
}

/**
 * A sample that could not be taken says nothing about the sinks. Under the readiness policy it
 * passes, with the failure in its message: an ACL missing for the agent's principal, or a
 * bootstrap address it cannot reach, would otherwise take every Connect pod out of its Service
 * at once over the agent's own view of Kafka. Under the status policy, which gates nothing, it
 * fails, so /status and the check metrics show it plainly.
 */
function failedSample (reason: Exclude<Reason, 'OK'>, message: string, policy: ProgressTarget['policy']): CheckResult {
  return policy === 'readiness' ? pass(`progress unknown, not gating readiness: ${reason}: ${message}`, { sampleFailed: reason }) : fail(reason, message)
}

/**
 * The topics a sink is judged on: its `topics`; with `topics.regex`, the topics its group has
 * committed to that the pattern matches in full (as Java's Pattern.matches does). A group keeps
 * the commits of topics it no longer reads while it is active, so commits alone never add a topic
 * to a sink with a `topics` list. A pattern JavaScript cannot compile matches every committed topic.
 */
function topicsOfSink (s: Sink, committed: readonly PartitionOffset[]): Set<string> {
  if (s.topicsRegex === undefined) return new Set(s.topics)
  let re: RegExp | undefined
  try { re = new RegExp(`^(?:${s.topicsRegex})$`) } catch { re = undefined }
  return new Set([...s.topics, ...committed.map((o) => o.topic).filter((t) => re === undefined || re.test(t))])
}

function describe (p: SinkProgress): string {
  const time = p.timeLagSeconds === null ? '' : `, ${p.timeLagSeconds}s behind`
  const where = p.worst.filter((w) => FAILING.has(w.status)).map((w) => `${w.topic}-${w.partition}`).join(',')
  return `${shortName(p.name)} ${p.status}: lag ${p.lag}${time}${where === '' ? '' : ` (${where})`}`
}

function summarize (progress: readonly SinkProgress[], unread: string): CheckResult {
  const details = { connectors: progress }
  const bad = progress.filter((p) => !p.healthy)
  const filling = progress.filter((p) => p.status === 'FILLING').length
  const note = (filling > 0 ? ` (${filling} still filling the window)` : '') + unread
  if (bad.length === 0) return pass(`${progress.length} sink connector${progress.length === 1 ? '' : 's'} consuming${note}`, details)
  const list = bad.slice(0, LISTED).map(describe).join('; ')
  const more = bad.length > LISTED ? `; +${bad.length - LISTED} more` : ''
  const worst = [...bad].sort((a, b) => PROGRESS_STATUSES.indexOf(a.status) - PROGRESS_STATUSES.indexOf(b.status))[0]?.reason
  return fail(worst === undefined || worst === 'OK' ? 'CONNECTOR_STALLED' : worst, `${bad.length} of ${progress.length} sink connectors not consuming: ${list}${more}`, details)
}
