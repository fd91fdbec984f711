// The undici client reuses its last parse when the worker sends the same bytes again: check that
// it does, and that any change, failure or different endpoint is never answered from that memory.
import t from 'tap'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { ConnectClient } from '../../src/connect/client'
import { createUndiciConnectClient, readBody } from '../../src/connect/undici-client'
import type { ConnectTarget } from '../../src/config/connect-target'
import { connectorsCheck } from '../../src/connect/checks'
import type { ConnectorVerdict } from '../../src/connect/evaluate'
import { configFrom } from '../helpers/agent'
import { ConnectStandIn } from '../helpers/connect-stand-in'

async function setup (t: { teardown: (fn: () => Promise<void>) => void }): Promise<{ w: ConnectStandIn, client: ConnectClient, target: ConnectTarget }> {
  const w = await new ConnectStandIn().start()
  w.add('orders', { tasks: 2 })
  w.add('audit', { tasks: 1 })
  const target = configFrom(['--connect-url', w.url]).connect
  if (target === undefined) throw new Error('no target')
  const client = createUndiciConnectClient({ target, timeoutMs: 2000, userAgent: 'test' })
  t.teardown(async () => { await client.close(); await w.stop() })
  return { w, client, target }
}

t.test('the same body twice gives the same (read-only) result; a change gives a new one', async (t) => {
  const { w, client } = await setup(t)
  const signal = new AbortController().signal
  const first = await client.connectorStatuses(signal)
  t.equal(await client.connectorStatuses(signal), first, 'same bytes: the last parse is reused')
  w.setTask('orders', 1, 'FAILED', 'java.lang.RuntimeException: boom')
  const changed = await client.connectorStatuses(signal)
  t.not(changed, first)
  t.equal(changed.find((s) => s.name === 'orders')?.tasks[1]?.state, 'FAILED', 'the change is seen at once')
  w.fault = 'http-500'
  await t.rejects(client.connectorStatuses(signal), { name: 'ConnectError', message: /HTTP 500/ }, 'a failure is never answered from memory')
  w.fault = 'garbage'
  await t.rejects(client.connectorStatuses(signal), { name: 'ConnectError', message: /not JSON/ })
  w.fault = 'none'
  t.equal(await client.connectorStatuses(signal), changed, 'back to the same bytes as before the failures')
  w.setTask('orders', 1, 'RUNNING')
  t.same(await client.connectorStatuses(signal), first, 'back to the first state: equal content')
  t.same([...(await client.connectorTasksMax(signal))], [['orders', 2], ['audit', 1]], 'the info endpoint has its own memory')
  t.same([...(await client.connectorTasksMax(signal))], [['orders', 2], ['audit', 1]])
})

t.test('the check skips evaluation and metrics only when nothing can have changed', async (t) => {
  const { w, client, target } = await setup(t)
  const signal = new AbortController().signal
  const handed: Array<readonly ConnectorVerdict[] | undefined> = []
  let now = 0
  const check = connectorsCheck({
    client,
    target: { ...target, transitionGraceMs: 1000 },
    now: () => now,
    timeoutMs: 2000,
    sink: { workerUp: () => {}, connectors: (v) => { handed.push(v) }, restarted: () => {}, givenUp: () => {} },
  })
  t.equal((await check.run(signal)).ok, true)
  t.equal((await check.run(signal)).ok, true)
  t.equal(handed[1], handed[0], 'same body, nothing transitional: the same verdicts are handed on')

  w.setTask('orders', 1, 'UNASSIGNED')
  t.equal((await check.run(signal)).ok, true, 'UNASSIGNED inside the grace period')
  now += 1500
  const late = await check.run(signal)
  t.equal(late.ok, false, 'the same body again, but the grace period ran out: evaluated afresh')
  t.match(late.message, 'orders task 1 UNASSIGNED')
  t.not(handed[3], handed[2])
})

t.test('a UTF-8 byte order mark before the JSON is dropped, as undici\'s text() does', async (t) => {
  const body = Buffer.concat([Buffer.from([0xEF, 0xBB, 0xBF]), Buffer.from(JSON.stringify({ a: { status: { name: 'a', connector: { state: 'RUNNING', worker_id: 'w:1' }, tasks: [], type: 'sink' } } }))])
  const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end(body) })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => { server.close() })
  const target = configFrom(['--connect-url', `http://127.0.0.1:${(server.address() as AddressInfo).port}`]).connect
  if (target === undefined) throw new Error('no target')
  const client = createUndiciConnectClient({ target, timeoutMs: 2000, userAgent: 'test' })
  t.teardown(async () => { await client.close() })
  t.same((await client.connectorStatuses(new AbortController().signal)).map((s) => s.name), ['a'])
})

t.test('readBody: whatever the chunking, the bytes as sent; the previous Buffer itself only when equal', async (t) => {
  let seed = 7
  const rnd = (n: number): number => { // mulberry32
    seed = (seed + 0x6D2B79F5) | 0
    let r = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r
    return (((r ^ (r >>> 14)) >>> 0) / 4294967296 * n) | 0
  }
  const kinds = new Set<number>()
  for (let i = 0; i < 400; i++) {
    const previous = Buffer.from(Array.from({ length: 1 + rnd(200) }, () => 97 + rnd(3)))
    const kind = rnd(5)
    kinds.add(kind)
    const next = kind === 0
      ? Buffer.from(previous)
      : kind === 1
        ? previous.subarray(0, rnd(previous.length))
        : kind === 2
          ? Buffer.concat([previous, Buffer.from('xyz'.slice(0, 1 + rnd(3)))])
          : kind === 3
            ? Buffer.from(previous.map((b, j) => (j === rnd(previous.length) ? b + 1 : b)))
            : Buffer.from('{}')
    const chunks: Buffer[] = []
    for (let at = 0; at < next.length;) { const n = 1 + rnd(40); chunks.push(next.subarray(at, at + n)); at += n }
    const compared = rnd(8) !== 0
    const got = await readBody((async function * () { yield * chunks })(), compared ? previous : undefined)
    if (!got.equals(next)) t.fail(`case ${i}: got ${got.toString()} for ${next.toString()}`)
    if ((got === previous) !== (compared && next.equals(previous))) t.fail(`case ${i}: identity ${String(got === previous)}`)
  }
  t.equal(kinds.size, 5, 'same, shorter, longer, one byte changed, unrelated: each case came up')
})

t.test('undici\'s own idle timer firing before the run\'s deadline reads as TIMEOUT, not unreachable (found against a real frozen worker)', async (t) => {
  const w = await new ConnectStandIn().start()
  t.teardown(async () => { await w.stop() })
  w.health = 'hang'
  const target = configFrom(['--connect-url', w.url]).connect
  if (target === undefined) throw new Error('no target')
  // headersTimeout = 150 ms; the signal never aborts, so only undici's timer can end the call.
  const client = createUndiciConnectClient({ target, timeoutMs: 150, userAgent: 'test' })
  t.teardown(async () => { await client.close() })
  const err = await client.health(new AbortController().signal).catch((e: unknown) => e)
  t.match(err, { name: 'ConnectError', kind: 'aborted', message: 'no answer within the deadline (UND_ERR_HEADERS_TIMEOUT)' })
})
