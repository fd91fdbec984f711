// The sink-progress window rules against tables of samples: each row is one partition's window
// (oldest first) as [committed, end] pairs taken a second apart, and the status it must read.
import t from 'tap'
import {
  addSample, judgeConnector, judgePartition, lagOf, timeLagMs, worse, type ProgressStatus, type Sample, type Windows,
} from '../../src/connect/progress-window'

const rules = { size: 4, allowedLag: 0 }
const win = (...pairs: Array<[number, number]>): Sample[] => pairs.map(([committed, end], i) => ({ at: i * 1000, committed, end }))

t.test('judgePartition: each rule, against a table', async (t) => {
  const rows: Array<[string, Sample[], number | undefined, ProgressStatus]> = [
    ['no samples yet', [], 1, 'FILLING'],
    ['caught up now (lag 0) → OK, even in a window not yet full', win([10, 10]), 1, 'OK'],
    ['window not full, lag > allowed → FILLING (passing, marked)', win([5, 10], [5, 12]), 1, 'FILLING'],
    ['the window filling up: three samples of four', win([5, 10], [5, 12], [5, 14]), 1, 'FILLING'],
    ['the window full, committed never moved, lag above → STALLED', win([5, 10], [5, 12], [5, 14], [5, 16]), 1, 'STALLED'],
    ['the same with no member in the group → STOPPED', win([5, 10], [5, 12], [5, 14], [5, 16]), 0, 'STOPPED'],
    ['members unknown → STALLED, not STOPPED', win([5, 10], [5, 12], [5, 14], [5, 16]), undefined, 'STALLED'],
    ['committed moves, lag stays above → OK (consuming, behind)', win([5, 20], [7, 22], [9, 24], [11, 26]), 1, 'OK'],
    ['lag reached the allowed level at some point → OK', win([10, 10], [10, 12], [10, 14], [10, 16]), 1, 'OK'],
    ['a committed offset went back and stayed → REWOUND', win([50, 60], [20, 60], [20, 62], [20, 64]), 1, 'REWOUND'],
    ['went back, then forward again (a replay consuming) → OK, not REWOUND', win([50, 60], [20, 60], [21, 62], [22, 64]), 1, 'OK'],
    ['forward, then back as the last move → REWOUND', win([10, 60], [20, 60], [30, 62], [5, 64]), 1, 'REWOUND'],
    ['went back, forward, then stuck: the last move was forward → OK until the window forgets it', win([50, 60], [20, 60], [25, 62], [25, 64]), 1, 'OK'],
    ['reset to earliest (back to 0) with lag → REWOUND', win([90, 100], [90, 100], [0, 100], [0, 101]), 1, 'REWOUND'],
    ['reset to latest (jump to the end) → OK', win([5, 100], [5, 110], [5, 120], [120, 120]), 1, 'OK'],
    ['no commit yet (−1) → NO_COMMIT, whatever the end offset', win([-1, 10], [-1, 20], [-1, 30], [-1, 40]), 1, 'NO_COMMIT'],
    ['first commit in the window: −1 to 5 is a move, not a rewind → OK', win([-1, 10], [-1, 12], [5, 14], [5, 16]), 1, 'OK'],
    ['end offset below the commit (a truncated or recreated topic): no lag → OK', win([50, 50], [50, 50], [50, 20], [50, 20]), 1, 'OK'],
    // Compaction leaves gaps in offsets: commits jump over them, and the end offset never goes back.
    ['compacted topic: commits jump over gaps, caught up → OK', win([0, 1000], [400, 1000], [990, 1000], [1000, 1000]), 1, 'OK'],
    ['compacted topic, stuck below the end → STALLED like any other', win([400, 1000], [400, 1000], [400, 1000], [400, 1000]), 1, 'STALLED'],
    // A transactional producer's commit marker sits after its last record; a sink commits the
    // record's offset + 1, never past the marker: an idle, caught-up sink reads lag 1 forever.
    ['idle after a transaction: lag 1 is the commit marker; allowed lag 0 → STALLED', win([100, 101], [100, 101], [100, 101], [100, 101]), 1, 'STALLED'],
  ]
  for (const [name, w, members, want] of rows) t.equal(judgePartition(w, rules, members), want, name)
})

t.test('judgePartition: the allowed lag is a level, not a change', async (t) => {
  const w = win([5, 15], [5, 15], [5, 15], [5, 15])
  t.equal(judgePartition(w, { size: 4, allowedLag: 9 }, 1), 'STALLED', 'lag 10 stays above 9')
  t.equal(judgePartition(w, { size: 4, allowedLag: 10 }, 1), 'OK', 'lag 10 is allowed now')
  t.equal(judgePartition(win([5, 10], [5, 30], [5, 30], [5, 30]), { size: 4, allowedLag: 5 }, 1), 'OK', 'lag 5 reached at the first sample')
  const marker = win([100, 101], [100, 101], [100, 101], [100, 101])
  t.equal(judgePartition(marker, { size: 4, allowedLag: 1 }, 1), 'OK', 'the default allowed lag (1) lets an idle sink sit before a transaction marker')
  t.equal(judgePartition(win([100, 102], [100, 102], [100, 102], [100, 102]), { size: 4, allowedLag: 1 }, 1), 'STALLED', 'one real record behind the marker is still a stall')
})

t.test('lagOf and timeLagMs', async (t) => {
  t.equal(lagOf({ at: 0, committed: -1, end: 9 }), undefined)
  t.equal(lagOf({ at: 0, committed: 3, end: 9 }), 6)
  t.equal(lagOf({ at: 0, committed: 12, end: 9 }), 0)
  t.equal(timeLagMs([], 0), undefined)
  t.equal(timeLagMs(win([-1, 5]), 5000), undefined, 'no commit: unknown')
  t.equal(timeLagMs(win([10, 10], [10, 10]), 5000), 0, 'no lag: 0')
  // The end passed 15 halfway between the samples at 1 s (end 10) and 2 s (end 20): 1.5 s.
  t.equal(timeLagMs(win([10, 10], [10, 10], [10, 20], [15, 30]), 4000), 2500)
  t.equal(timeLagMs(win([0, 10], [0, 20], [0, 30]), 5000), 5000, 'behind since before the window: its age, a lower bound')
})

t.test('worse: a connector takes its worst partition\'s status', async (t) => {
  t.equal(worse('OK', 'STALLED'), 'STALLED')
  t.equal(worse('STOPPED', 'STALLED'), 'STOPPED')
  t.equal(worse('FILLING', 'OK'), 'FILLING')
  t.equal(worse('REWOUND', 'FILLING'), 'REWOUND')
})

const key = (topic: string, p: number): string => `${topic}\u0000${p}`

t.test('addSample and judgeConnector: the window fills, slides, and a new partition starts its own', async (t) => {
  const w: Windows = new Map()
  const topics = new Set(['orders'])
  const ends = (e0: number, e1: number): Array<{ topic: string, partition: number, offset: number }> =>
    [{ topic: 'orders', partition: 0, offset: e0 }, { topic: 'orders', partition: 1, offset: e1 }, { topic: 'other', partition: 0, offset: 5 }]
  const statuses: ProgressStatus[] = []
  for (let i = 0; i < 6; i++) {
    addSample(w, i * 1000, topics, new Map([[key('orders', 0), 5], [key('orders', 1), 10 * i]]), ends(10 + i, 10 * i + 3), 4)
    statuses.push(judgeConnector(w, rules, 1, i * 1000).status)
  }
  t.same(statuses, ['FILLING', 'FILLING', 'FILLING', 'STALLED', 'STALLED', 'STALLED'], 'fills up over 4 samples, then judged')
  t.equal(w.get(key('orders', 0))?.samples.length, 4, 'the window keeps 4 samples')
  t.notOk(w.has(key('other', 0)), 'a topic the connector does not read is not sampled')
  const c = judgeConnector(w, rules, 1, 5000)
  t.equal(c.lag, (15 - 5) + 3, 'lag summed over partitions')
  t.equal(c.partitions, 2)
  t.match(c.worst[0], { topic: 'orders', partition: 0, status: 'STALLED', lag: 10 })

  // A new partition appears: its own window fills while the others are judged.
  addSample(w, 6000, topics, new Map([[key('orders', 0), 16], [key('orders', 1), 60]]), [...ends(16, 63), { topic: 'orders', partition: 2, offset: 4 }], 4)
  t.equal(w.get(key('orders', 2))?.samples.length, 1)
  t.equal(judgeConnector(w, rules, 1, 6000).status, 'NO_COMMIT', 'the new partition has no commit yet; the others are OK')
  addSample(w, 7000, topics, new Map([[key('orders', 0), 16], [key('orders', 1), 63], [key('orders', 2), 1]]), [...ends(16, 63), { topic: 'orders', partition: 2, offset: 4 }], 4)
  t.equal(judgeConnector(w, rules, 1, 7000).status, 'FILLING', 'a new partition with lag fills its window first')

  // A partition missing from a sample (its leader moving) keeps its window.
  addSample(w, 8000, topics, new Map(), [{ topic: 'orders', partition: 2, offset: 4 }], 4)
  t.equal(w.get(key('orders', 0))?.samples.length, 4, 'kept')
  // The connector stops reading a topic: its windows go.
  addSample(w, 9000, new Set(['another']), new Map(), [], 4)
  t.equal(w.size, 0)
})

t.test('judgeConnector: an empty group (no partitions known) passes as NO_COMMIT', async (t) => {
  t.match(judgeConnector(new Map(), rules, 0, 0), { status: 'NO_COMMIT', lag: 0, timeLagSeconds: null, partitions: 0 })
  const w: Windows = new Map()
  addSample(w, 0, new Set(['t']), new Map(), [{ topic: 't', partition: 0, offset: 100 }], 4)
  t.match(judgeConnector(w, rules, 0, 0), { status: 'NO_COMMIT', lag: 0, timeLagSeconds: null, partitions: 1 }, 'an empty group on a topic with data')
})
