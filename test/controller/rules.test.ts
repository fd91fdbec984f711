// The quorum rules: every reason; 1, 3 and 5 voters; observers; the caught-up bound; /prestop's majority.
import t from 'tap'
import type { QuorumState, ReplicaState } from '../../src/kafka/seam'
import { caughtUpVoters, judgeQuorum, lagOf, majorityOf, stopSafety } from '../../src/controller/rules'

const NOW = 1_795_537_511_893
const BOUND = 2000

/** A replica `behindMs` behind the leader's clock and `behindRecords` behind its log end (1000); null: never caught up. */
const replica = (nodeId: number, behindMs: number | null = 0, behindRecords = 0): ReplicaState =>
  ({ nodeId, logEndOffset: 1000 - behindRecords, lastFetchTimestamp: NOW - (behindMs ?? 0), lastCaughtUpTimestamp: behindMs === null ? -1 : NOW - behindMs })

/** A quorum led by `leaderId`, with voters 1..n: `lag` gives each non-leader's [ms, records]. */
function quorum (n: number, leaderId = 1, lag: Record<number, [number | null, number]> = {}, observers: ReplicaState[] = []): QuorumState {
  const voters = Array.from({ length: n }, (_, i) => i + 1).map((id) => id === leaderId ? replica(id) : replica(id, ...(lag[id] ?? [100, 0])))
  return { leaderId, leaderEpoch: 7, highWatermark: 1000, voters, observers }
}

t.test('a caught-up voter passes, the leader included', async (t) => {
  t.match(judgeQuorum(quorum(3), 2, BOUND), { ok: true, reason: 'OK', message: 'controller 2 is a caught-up voter (leader 1, epoch 7; 3 of 3 voters caught up)' })
  t.match(judgeQuorum(quorum(3), 1, BOUND), { ok: true, message: 'controller 1 is a caught-up voter (the leader; leader 1, epoch 7; 3 of 3 voters caught up)' })
  t.match(judgeQuorum(quorum(1), 1, BOUND), { ok: true, message: /1 of 1 voters caught up/ })
  t.match(judgeQuorum(quorum(5, 3), 5, BOUND), { ok: true, message: /5 of 5 voters caught up/ })
})

t.test('NO_QUORUM_LEADER', async (t) => {
  t.match(judgeQuorum({ ...quorum(3), leaderId: -1 }, 2, BOUND), { ok: false, reason: 'NO_QUORUM_LEADER', message: 'the quorum has no leader (epoch 7)' })
})

t.test('NOT_A_VOTER: an observer says so, a stranger too', async (t) => {
  const q = quorum(3, 1, {}, [replica(4, 50, 3)])
  t.match(judgeQuorum(q, 4, BOUND), { ok: false, reason: 'NOT_A_VOTER', message: 'controller 4 is an observer of the quorum, not a voter (voters: 1,2,3)' })
  t.match(judgeQuorum(q, 9, BOUND), { ok: false, reason: 'NOT_A_VOTER', message: 'controller 9 is not in the quorum, not a voter (voters: 1,2,3)' })
})

t.test('CONTROLLER_NOT_CAUGHT_UP: the bound is exclusive, and never-caught-up counts as behind', async (t) => {
  t.match(judgeQuorum(quorum(3, 1, { 2: [BOUND - 1, 0] }), 2, BOUND), { ok: true })
  t.match(judgeQuorum(quorum(3, 1, { 2: [BOUND, 40] }), 2, BOUND), { ok: false, reason: 'CONTROLLER_NOT_CAUGHT_UP', message: 'controller 2 was last caught up 2.0s ago, 40 records behind (bound 2.0s; leader 1, epoch 7; 2 of 3 voters caught up)' })
  t.match(judgeQuorum(quorum(3, 1, { 3: [null, 1000] }), 3, BOUND), { ok: false, reason: 'CONTROLLER_NOT_CAUGHT_UP', message: /^controller 3 has not caught up with the leader since it became leader, 1000 records behind/ })
  t.match(judgeQuorum(quorum(3, 1, { 2: [5000, 0] }), 2, 10_000), { ok: true }, 'the bound is configurable')
  const details = judgeQuorum(quorum(3, 1, { 2: [3500, 12] }), 2, BOUND).details as { voters: Array<Record<string, unknown>> }
  t.same(details.voters[1], { nodeId: 2, logEndOffset: 988, lagRecords: 12, lagMs: 3500, caughtUp: false })
})

t.test('a lagging observer changes nothing for the voters', async (t) => {
  const q = quorum(3, 1, {}, [replica(4, 60_000, 500)])
  t.match(judgeQuorum(q, 2, BOUND), { ok: true, message: /3 of 3 voters caught up/ })
  t.same(lagOf(q, q.observers[0]!), { records: 500, ms: 60_000 })
  t.same(caughtUpVoters(q, BOUND), [1, 2, 3])
  t.match(stopSafety(q, 2, BOUND), { safe: true })
  t.match(stopSafety(q, 4, BOUND), { safe: true, message: 'controller 4 is an observer, not a voter: stopping it leaves the quorum as it is' })
  // Neither voter nor observer: a wrong --kafka-controller-id, most likely; never waved through.
  t.match(stopSafety(q, 7, BOUND), { safe: false, message: 'controller 7 is neither a voter nor an observer of the quorum (voters 1,2,3): check --kafka-controller-id' })
  // Two voters: the other one alone is no majority, and the message says so.
  t.match(stopSafety(quorum(2, 1), 2, BOUND), { safe: false, message: /only 1 of 2 voters are caught up \(1; with 2 voters a majority needs this one too\)/ })
})

t.test('majorities', async (t) => {
  t.same([1, 2, 3, 4, 5].map(majorityOf), [1, 2, 2, 3, 3])
})

t.test('/prestop: a caught-up majority must remain with this node counted as gone', async (t) => {
  // 3 voters: all caught up, any one may stop.
  for (const id of [1, 2, 3]) t.match(stopSafety(quorum(3), id, BOUND), { safe: true, message: `without controller ${id}, 2 of 3 voters are caught up (${[1, 2, 3].filter((x) => x !== id).join(',')}); a majority is 2` })
  // 3 voters, 3 behind: stopping 2 (or the leader) leaves one caught up.
  const q3 = quorum(3, 1, { 3: [BOUND + 1, 5] })
  t.match(stopSafety(q3, 2, BOUND), { safe: false, message: 'without controller 2, only 1 of 3 voters are caught up (1; not caught up: 3); a majority is 2' })
  t.match(stopSafety(q3, 1, BOUND), { safe: false })
  t.match(stopSafety(q3, 3, BOUND), { safe: true }, 'the lagging one itself may stop: it counts for nothing now')
  // 5 voters: two behind still leaves 3 caught up, but not without one more.
  const q5 = quorum(5, 1, { 4: [9000, 0], 5: [null, 0] })
  t.match(stopSafety(q5, 4, BOUND), { safe: true, message: /3 of 5 voters are caught up \(1,2,3\); a majority is 3/ })
  t.match(stopSafety(q5, 2, BOUND), { safe: false, message: 'without controller 2, only 2 of 5 voters are caught up (1,3; not caught up: 4,5); a majority is 3' })
  t.match(stopSafety(quorum(5, 1, { 5: [9000, 0] }), 2, BOUND), { safe: true })
  // 1 voter: nothing to wait for.
  t.match(stopSafety(quorum(1), 1, BOUND), { safe: true, message: /the only voter/ })
  // No leader: never safe.
  t.match(stopSafety({ ...quorum(3), leaderId: -1 }, 2, BOUND), { safe: false, message: /no leader/ })
})
