import t from 'tap'
import { INITIAL_STATE, applyRun, type CheckState, type RunRecord } from '../../src/core/verdict'

let clock = 0
const run = (ok: boolean, reason: RunRecord['reason'] = ok ? 'OK' : 'TIMEOUT'): RunRecord =>
  ({ ok, reason, message: ok ? 'fine' : `bad ${reason}`, startedAt: clock, finishedAt: ++clock, durationMs: 1 })

function feed (runs: RunRecord[], thresholds = { failureThreshold: 3, successThreshold: 2 }): { state: CheckState, changes: boolean[] } {
  let state = INITIAL_STATE
  const changes: boolean[] = []
  for (const r of runs) {
    const next = applyRun(state, r, thresholds)
    state = next.state
    changes.push(next.changed)
  }
  return { state, changes }
}

t.test('starts failing with PENDING, and the first failure replaces it at once', async (t) => {
  t.equal(INITIAL_STATE.passing, false)
  t.equal(INITIAL_STATE.reason, 'PENDING')
  const { state, changes } = feed([run(false, 'KAFKA_UNREACHABLE')])
  t.equal(state.reason, 'KAFKA_UNREACHABLE')
  t.same(changes, [false])
})

t.test('while still PENDING, early successes say how many more are needed', async (t) => {
  const { state } = feed([run(true)])
  t.equal(state.reason, 'PENDING')
  t.equal(state.message, '1 of 2 passing runs needed so far')
})

t.test('needs successThreshold successes in a row to pass', async (t) => {
  const { state, changes } = feed([run(true), run(false), run(true), run(true)])
  t.same(changes, [false, false, false, true])
  t.equal(state.passing, true)
  t.equal(state.everPassed, true)
  t.equal(state.reason, 'OK')
})

t.test('needs failureThreshold failures in a row to fail; a success resets the count', async (t) => {
  const { state, changes } = feed([run(true), run(true), run(false), run(false), run(true), run(false), run(false), run(false, 'KAFKA_AUTH')])
  t.same(changes, [false, true, false, false, false, false, false, true])
  t.equal(state.passing, false)
  t.equal(state.reason, 'KAFKA_AUTH', 'shows the newest failure')
  t.equal(state.everPassed, true, 'startup stays latched')
  t.equal(state.consecutiveFailures, 3)
})

t.test('while passing below the failure threshold, the verdict still reads OK', async (t) => {
  const { state } = feed([run(true), run(true), run(false)])
  t.equal(state.passing, true)
  t.equal(state.reason, 'OK')
  t.equal(state.last?.ok, false)
})

t.test('while failing below the success threshold, it keeps the failure reason', async (t) => {
  const { state } = feed([run(false, 'TOO_FEW_BROKERS'), run(true)])
  t.equal(state.passing, false)
  t.equal(state.reason, 'TOO_FEW_BROKERS')
})

t.test('lastChangeAt moves only on flips', async (t) => {
  const { state } = feed([run(true), run(true), run(true)], { failureThreshold: 1, successThreshold: 1 })
  t.equal(state.lastChangeAt, state.last!.finishedAt - 2)
})
