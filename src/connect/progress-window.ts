/**
 * The rules that judge a sink connector's progress: pure functions over a sliding window of
 * offset samples per partition, in the spirit of Burrow's evaluator. Table-tested
 * (test/connect/progress-window.test.ts); the README has them with a timeline.
 */

/** One sample of one partition: the group's committed offset (-1: none) and the partition's end offset. */
export interface Sample {
  /** Monotonic milliseconds. */
  readonly at: number
  readonly committed: number
  readonly end: number
}

/**
 * OK, FILLING and NO_COMMIT pass; STALLED, STOPPED and REWOUND fail. Worst first: a connector
 * takes its worst partition's status.
 */
export const PROGRESS_STATUSES = ['STOPPED', 'STALLED', 'REWOUND', 'FILLING', 'NO_COMMIT', 'OK'] as const
export type ProgressStatus = typeof PROGRESS_STATUSES[number]
export const FAILING: ReadonlySet<ProgressStatus> = new Set(['STOPPED', 'STALLED', 'REWOUND'])

export interface WindowRules {
  /** Samples judged together (K). */
  readonly size: number
  /** Lag (records) that counts as caught up. */
  readonly allowedLag: number
}

/** Records behind the head, or undefined with no commit. An end offset below the commit (a truncated or recreated topic) is no lag. */
export function lagOf (s: Sample): number | undefined {
  return s.committed < 0 ? undefined : Math.max(0, s.end - s.committed)
}

/**
 * One partition's status, from its window (oldest first) and its group's member count
 * (undefined: not known).
 * - NO_COMMIT: nothing committed yet; its lag is unknown, so it cannot be judged.
 * - OK: lag is at the allowed level now, or reached it at some sample of the window.
 * - FILLING: fewer than `size` samples so far; passing, marked as such.
 * - REWOUND: the committed offset's last move in the window was back (a reset to earliest, a
 *   consumer replaying); once it moves forward again, it is consuming: OK.
 * - STALLED / STOPPED: lag stayed above the allowed level and the committed offset never moved
 *   over the whole window. STOPPED when the group has no member, so nothing is left to commit
 *   (every task's consumer left or was kicked out); STALLED while a consumer is still in the
 *   group and commits nothing new (a task blocked in put, a stuck downstream).
 */
export function judgePartition (window: readonly Sample[], rules: WindowRules, members: number | undefined): ProgressStatus {
  const last = window[window.length - 1]
  if (last === undefined) return 'FILLING'
  const lag = lagOf(last)
  if (lag === undefined) return 'NO_COMMIT'
  if (lag <= rules.allowedLag) return 'OK'
  if (window.length < rules.size) return 'FILLING'
  // The last move decides between REWOUND and OK: a replay that has since gone forward again is
  // consuming, and must not read as REWOUND until the rewind leaves the window.
  let lastMove: 'forward' | 'back' | undefined
  let reached = false
  for (let i = 0; i < window.length; i++) {
    const s = window[i] as Sample
    const l = lagOf(s)
    if (l !== undefined && l <= rules.allowedLag) reached = true
    const prev = window[i - 1]
    if (prev === undefined || s.committed === prev.committed) continue
    lastMove = prev.committed >= 0 && s.committed >= 0 && s.committed < prev.committed ? 'back' : 'forward'
  }
  if (lastMove === 'back') return 'REWOUND'
  if (reached || lastMove === 'forward') return 'OK'
  return members === 0 ? 'STOPPED' : 'STALLED'
}

/**
 * How far behind the head the committed offset is, in time: now minus the moment the end offset
 * passed the committed one, interpolated between the two samples around it (as
 * kafka-lag-exporter does). 0 with no lag; undefined with no commit. When the end offset was
 * past the commit already at the window's first sample, the answer is a lower bound: the window's age.
 */
export function timeLagMs (window: readonly Sample[], now: number): number | undefined {
  const last = window[window.length - 1]
  if (last === undefined || last.committed < 0) return undefined
  if (last.end <= last.committed) return 0
  for (let i = window.length - 2; i >= 0; i--) {
    const a = window[i] as Sample
    if (a.end > last.committed) continue
    const b = window[i + 1] as Sample
    const t = a.at + (b.at - a.at) * (last.committed - a.end) / (b.end - a.end)
    return Math.max(0, now - t)
  }
  return Math.max(0, now - (window[0] as Sample).at)
}

/** The worse of two statuses. */
export function worse (a: ProgressStatus, b: ProgressStatus): ProgressStatus {
  return PROGRESS_STATUSES.indexOf(a) <= PROGRESS_STATUSES.indexOf(b) ? a : b
}

/** One partition's window, keyed by topic and partition. */
export interface PartitionWindow {
  readonly topic: string
  readonly partition: number
  readonly samples: Sample[]
}

export type Windows = Map<string, PartitionWindow>

/**
 * Adds one sample to a connector's windows. Every partition of its topics with an end offset gets
 * a sample (committed -1 where the group has none: a new partition, an empty group); a partition
 * missing from this sample (its leader moving) keeps its window as it was; partitions of topics
 * the connector no longer reads are dropped. Windows keep at most `size` samples.
 */
export function addSample (
  windows: Windows, at: number, topics: ReadonlySet<string>,
  committed: ReadonlyMap<string, number>, ends: ReadonlyArray<{ readonly topic: string, readonly partition: number, readonly offset: number }>, size: number,
): void {
  for (const e of ends) {
    if (!topics.has(e.topic)) continue
    const key = `${e.topic}\u0000${e.partition}`
    let w = windows.get(key)
    if (w === undefined) {
      w = { topic: e.topic, partition: e.partition, samples: [] }
      windows.set(key, w)
    }
    w.samples.push({ at, committed: committed.get(key) ?? -1, end: e.offset })
    if (w.samples.length > size) w.samples.splice(0, w.samples.length - size)
  }
  for (const [key, w] of windows) if (!topics.has(w.topic)) windows.delete(key)
}

/** Drops the partitions whose newest sample was taken before `before`. */
export function dropStale (windows: Windows, before: number): void {
  for (const [key, w] of windows) {
    const newest = w.samples[w.samples.length - 1]
    if (newest === undefined || newest.at < before) windows.delete(key)
  }
}

export interface PartitionProgress {
  readonly topic: string
  readonly partition: number
  readonly status: ProgressStatus
  readonly lag: number | null
  readonly samples: number
}

export interface ConnectorProgress {
  readonly status: ProgressStatus
  /** Records behind, summed over partitions with a commit. */
  readonly lag: number
  /** Seconds behind the head: the most of any partition; null when no partition has a commit. */
  readonly timeLagSeconds: number | null
  readonly partitions: number
  /** The worst partitions (at most 5), for people. */
  readonly worst: readonly PartitionProgress[]
}

const WORST_SHOWN = 5

/** A connector's progress: its worst partition's status, its total lag and its largest time lag. */
export function judgeConnector (windows: Windows, rules: WindowRules, members: number | undefined, now: number): ConnectorProgress {
  let status: ProgressStatus = windows.size === 0 ? 'NO_COMMIT' : 'OK'
  let lag = 0
  let time: number | undefined
  const all: PartitionProgress[] = []
  for (const w of windows.values()) {
    const s = judgePartition(w.samples, rules, members)
    status = worse(status, s)
    const last = w.samples[w.samples.length - 1]
    const l = last === undefined ? undefined : lagOf(last)
    if (l !== undefined) lag += l
    const tl = timeLagMs(w.samples, now)
    if (tl !== undefined) time = Math.max(time ?? 0, tl)
    all.push({ topic: w.topic, partition: w.partition, status: s, lag: l ?? null, samples: w.samples.length })
  }
  const worst = all
    .sort((a, b) => PROGRESS_STATUSES.indexOf(a.status) - PROGRESS_STATUSES.indexOf(b.status) || (b.lag ?? -1) - (a.lag ?? -1))
    .slice(0, WORST_SHOWN)
  return { status, lag, timeLagSeconds: time === undefined ? null : Math.round(time / 100) / 10, partitions: windows.size, worst }
}
