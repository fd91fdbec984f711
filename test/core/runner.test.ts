import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { Runner, type RunnerOptions } from '../../src/core/runner'
import type { Check } from '../../src/core/check'
import { createLogger } from '../../src/log/logger'
import { LogSink } from '../helpers/agent'
import { ScriptedCheck } from '../helpers/fakes'

function runner (checks: Check[], opts: Partial<RunnerOptions> = {}): { r: Runner, logs: LogSink } {
  const logs = new LogSink()
  const r = new Runner({
    checks, intervalMs: 50, timeoutMs: 30, failureThreshold: 1, successThreshold: 1, staleAfterMs: 1000,
    now: Date.now, logger: createLogger('info', logs), ...opts,
  })
  return { r, logs }
}

t.test('a run that misses its deadline fails with TIMEOUT and its signal aborts', async (t) => {
  const slow = new ScriptedCheck('slow')
  slow.delayMs = 200
  const { r } = runner([slow])
  const started = Date.now()
  await r.runCycle()
  const took = Date.now() - started
  const v = r.view('slow')!
  t.equal(v.ok, false)
  t.equal(v.reason, 'TIMEOUT')
  t.equal(v.message, 'no answer within 30ms')
  t.equal(slow.aborted, 1, 'the check was told to drop its connection')
  t.ok(took < 200, `the cycle ended at the deadline (${took}ms), not when the check did`)
})

t.test('a check that throws is a CHECK_ERROR, not a crash', async (t) => {
  const bad: Check = { name: 'bad', run: async () => { await Promise.resolve(); throw new Error('bug') } }
  const { r, logs } = runner([bad])
  await r.runCycle()
  t.equal(r.view('bad')!.reason, 'CHECK_ERROR')
  t.equal(r.view('bad')!.message, 'bug')
  t.match(logs.text, 'check threw instead of returning a result')
})

t.test('cycles never overlap, even when a run takes longer than the interval', async (t) => {
  const c = new ScriptedCheck('c')
  c.delayMs = 25 // under the 30ms timeout, with a 10ms interval
  const { r } = runner([c], { intervalMs: 10, timeoutMs: 30 })
  r.start()
  await sleep(300)
  await r.stop()
  t.equal(c.maxRunning, 1)
  t.ok(c.runs >= 3, `ran ${c.runs} times`)
  const runsAtStop = c.runs
  await sleep(100)
  t.equal(c.runs, runsAtStop, 'no run after stop()')
})

t.test('the loop keeps its interval between starts', async (t) => {
  const c = new ScriptedCheck('c')
  const { r } = runner([c], { intervalMs: 100 })
  r.start()
  r.start() // idempotent
  await sleep(350)
  await r.stop()
  // Never more often than the interval; at least twice even on a loaded CI machine.
  t.ok(c.runs >= 2 && c.runs <= 5, `ran ${c.runs} times in 350ms at a 100ms interval`)
})

t.test('verdicts go STALE when no run has finished for too long', async (t) => {
  let now = 1_000
  const c = new ScriptedCheck('c')
  const { r } = runner([c], { monotonic: () => now, staleAfterMs: 500 })
  t.equal(r.view('c')!.reason, 'PENDING')
  now += 600
  t.equal(r.view('c')!.reason, 'STALE', 'never completed')
  await r.runCycle()
  t.equal(r.view('c')!.ok, true)
  now += 499
  t.equal(r.view('c')!.ok, true)
  now += 2
  const v = r.view('c')!
  t.equal(v.ok, false)
  t.equal(v.reason, 'STALE')
  t.match(v.message, /no check run has completed in 501ms/)
  t.equal(r.stale, true)
  t.equal(r.view('nope'), undefined)
})

t.test('a wall-clock step neither stalls the loop nor makes verdicts stale', async (t) => {
  let wall = Date.now()
  const c = new ScriptedCheck('c')
  const { r } = runner([c], { now: () => wall, intervalMs: 20, staleAfterMs: 200 })
  r.start()
  await sleep(50)
  wall -= 3_600_000 // an hour back
  const runs = c.runs
  await sleep(300)
  t.ok(c.runs > runs + 1, `kept running after the step (${c.runs - runs} more runs)`)
  t.equal(r.view('c')!.ok, true)
  wall += 7_200_000 // two hours forward
  t.equal(r.view('c')!.ok, true)
  await r.stop()
})

t.test('stop() aborts a run hanging on a silent peer instead of waiting for its deadline', async (t) => {
  const slow = new ScriptedCheck('slow')
  slow.delayMs = 5000
  const { r } = runner([slow], { timeoutMs: 4000, intervalMs: 5000 })
  r.start()
  await sleep(20)
  const started = Date.now()
  await r.stop()
  t.ok(Date.now() - started < 1000, `stopped in ${Date.now() - started}ms`)
  t.equal(slow.aborted, 1)
  t.equal(r.view('slow')!.reason, 'SHUTTING_DOWN')
})

t.test('a throwing onRun is logged and the loop goes on', async (t) => {
  const c = new ScriptedCheck('c')
  const { r, logs } = runner([c], { intervalMs: 10, onRun: () => { throw new Error('metrics bug') } })
  r.start()
  await sleep(60)
  await r.stop()
  t.ok(c.runs >= 2, `${c.runs} runs`)
  t.match(logs.text, 'check cycle failed')
})

t.test('start() after stop() during a run does not start a second loop', async (t) => {
  const c = new ScriptedCheck('c')
  c.delayMs = 20
  const { r } = runner([c], { intervalMs: 5, timeoutMs: 30 })
  r.start()
  await sleep(5)
  const stopping = r.stop()
  r.start()
  await stopping
  await sleep(100)
  await r.stop()
  t.equal(c.maxRunning, 1)
})

t.test('verdict changes are logged once, with the reason', async (t) => {
  const c = new ScriptedCheck('c')
  c.results = [
    { ok: false, reason: 'KAFKA_UNREACHABLE', message: 'refused' },
    { ok: false, reason: 'KAFKA_UNREACHABLE', message: 'refused' },
    { ok: true, reason: 'OK', message: 'fine' },
    { ok: true, reason: 'OK', message: 'fine' },
  ]
  const { r, logs } = runner([c])
  for (let i = 0; i < 4; i++) await r.runCycle()
  t.equal(logs.lines.length, 2, logs.text)
  t.match(logs.lines[0], /"level":"warn".*check c is failing: KAFKA_UNREACHABLE: refused/)
  t.match(logs.lines[1], /"level":"info".*check c is passing/)
})

t.test('onRun sees every run', async (t) => {
  const seen: string[] = []
  const { r } = runner([new ScriptedCheck('a'), new ScriptedCheck('b')], { onRun: (name, run) => seen.push(`${name}:${run.reason}`) })
  await r.runCycle()
  t.same(seen.sort(), ['a:OK', 'b:OK'])
  t.same(r.names, ['a', 'b'])
})
