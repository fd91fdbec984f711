// within(): a bound that holds even when garbage collection runs while it waits. Node 20's
// AbortSignal.any() keeps its sources weakly, so AbortSignal.any([AbortSignal.timeout(ms)])
// could be collected and never fire: a /prestop wait without its bound.
import t from 'tap'
import { within } from '../../src/core/within'

const gc = (globalThis as { gc?: () => void }).gc

t.test('the bound fires with garbage collection running meanwhile', async (t) => {
  if (gc === undefined) throw new Error('run with --expose-gc (.taprc sets it)')
  const collect = setInterval(() => { gc(); const junk: object[] = []; for (let i = 0; i < 1e5; i++) junk.push({ i }) }, 10)
  t.teardown(() => { clearInterval(collect) })
  const outside = AbortSignal.any([new AbortController().signal])
  const started = Date.now()
  const reason = await within(outside, 200, async (signal) => await new Promise<string>((resolve) => {
    signal.addEventListener('abort', () => { resolve('bound') })
    setTimeout(() => { resolve('never fired') }, 3000).unref()
  }))
  t.equal(reason, 'bound')
  t.ok(Date.now() - started < 2500)
})

t.test('the outside signal and a zero bound abort at once; the timer is cleared after', async (t) => {
  const ac = new AbortController()
  ac.abort()
  t.equal(await within(ac.signal, 10_000, async (s) => await Promise.resolve(s.aborted)), true)
  t.equal(await within(new AbortController().signal, 0, async (s) => await Promise.resolve(s.aborted)), true)
})
