// Issue 11 #2: /status on a big, broken worker must stay small, and clients that ask for it and
// never read must not each pin a copy of it (an OOM-killed sidecar fails the pod's liveness).
import t from 'tap'
import { connect, type Socket } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { configFrom, startAgent, waitForBody } from '../helpers/agent'
import { ConnectStandIn } from '../helpers/connect-stand-in'
import { FakeBrokerClient, partition } from '../helpers/fakes'

const CONNECTORS = 520
const TASKS = 8
/** A ~3 KB Java stack trace, as a failed task carries. */
const TRACE = 'org.apache.kafka.connect.errors.ConnectException: sink write failed\n' +
  Array.from({ length: 60 }, (_, i) => `\tat org.example.sink.Writer.put${i}(Writer.java:${100 + i})`).join('\n')

/** Resident memory after a collection: a body queued on a stalled socket may live outside V8's heap. */
function heldBytes (): number {
  globalThis.gc?.()
  return process.memoryUsage.rss()
}

t.test('a worker of 520 connectors x 8 FAILED tasks with 3 KB traces', async (t) => {
  const w = await new ConnectStandIn().start()
  t.teardown(async () => { await w.stop() })
  for (let i = 0; i < CONNECTORS; i++) {
    w.add(`sink-${i}`, { tasks: TASKS })
    for (let id = 0; id < TASKS; id++) w.setTask(`sink-${i}`, id, 'FAILED', TRACE)
  }
  const a = await startAgent(configFrom(['--connect-url', w.url, '--interval', '1h', '--timeout', '5s']), {}, { start: false })
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  await a.app.listen({ host: '127.0.0.1', port: 0 })
  const port = (a.app.server.address() as { port: number }).port

  const status = await a.app.inject({ url: '/status' })
  t.equal(status.statusCode, 200)
  const size = status.rawPayload.length
  t.ok(size < 2_000_000, `/status is ${(size / 1e6).toFixed(2)} MB (limit 2 MB; 4,160 traces of 3 KB would be over 12 MB)`)
  t.notMatch(status.body, 'Writer.java', 'only the first line of each trace in /status')
  t.match(status.body, 'ConnectException: sink write failed')

  const one = await a.app.inject({ url: '/connectors/sink-7' })
  t.equal(one.statusCode, 503)
  t.match(JSON.parse(one.body).tasks[0].trace, /^org\.apache\.kafka\.connect\.errors\.ConnectException: sink write failed\n\tat org\.example\.sink\.Writer\.put0/, 'the trace, cut to --connect-trace-length, on /connectors/<name>')

  // 20 clients ask for /status and never read the answer. The baseline follows one full answer
  // over a socket, so it holds whatever serving /status once leaves behind.
  const whole = await fetch(`http://127.0.0.1:${port}/status`)
  await whole.arrayBuffer()
  heldBytes()
  const before = heldBytes()
  const sockets: Socket[] = []
  t.teardown(() => { for (const s of sockets) s.destroy() })
  for (let i = 0; i < 20; i++) {
    const s = connect(port, '127.0.0.1')
    s.pause()
    s.write('GET /status HTTP/1.1\r\nhost: x\r\n\r\n')
    sockets.push(s)
  }
  for (let i = 0; i < 6; i++) { await sleep(500); t.comment(`rss +${((heldBytes() - before) / 1e6).toFixed(1)} MB`) }
  const grown = heldBytes() - before
  t.ok(grown < 30e6, `20 stalled /status readers hold ${(grown / 1e6).toFixed(1)} MB more (limit 30 MB)`)
  // Probes stay fast meanwhile: they never wait on /status.
  const t0 = performance.now()
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200)
  t.ok(performance.now() - t0 < 200, 'a probe answers while the readers stall')
})

t.test('a socket idle both ways is closed; a /prestop that waits in silence is not', async (t) => {
  const client = new FakeBrokerClient()
  // Broker 2 is in an ISR of 2 at min.insync.replicas 2, with replica 1 still to catch up: unsafe.
  client.partitions = [partition('orders', 0, [1, 2, 3], [2, 3])]
  const config = configFrom(['--kafka-brokers', 'kafka-2:9092', '--kafka-broker-id', '2', '--interval', '50ms', '--timeout', '40ms', '--prestop-timeout', '5s'])
  const a = await startAgent(config, { brokerClient: client }, { idleSocketMs: 300 })
  t.teardown(a.close)
  await waitForBody(a.app, '/readyz?verbose', '[+]in-sync ok', 2000)
  await a.app.listen({ host: '127.0.0.1', port: 0 })
  const port = (a.app.server.address() as { port: number }).port

  const stalled = connect(port, '127.0.0.1')
  const closed = new Promise<number>((resolve) => { const t0 = Date.now(); stalled.once('close', () => { resolve(Date.now() - t0) }) })
  stalled.write('GET /status HTTP/1.1\r\nhost: x\r\n')
  stalled.resume()

  const t0 = Date.now()
  const prestop = fetch(`http://127.0.0.1:${port}/prestop`)
  await sleep(1000)
  client.partitions = [partition('orders', 0, [1, 2, 3])]
  const res = await prestop
  t.equal(res.status, 200, 'answered after waiting three idle timeouts in silence')
  t.match(await res.text(), 'safe to stop broker 2')
  t.ok(Date.now() - t0 >= 1000)
  const closedAfter = await closed
  t.ok(closedAfter < 2000, `a half-sent request was closed after ${closedAfter}ms`)
})

t.test('/status?pretty is the same document, indented for a person (issue 17)', async (t) => {
  const client = new FakeBrokerClient()
  const a = await startAgent(configFrom(['--kafka-brokers', 'kafka-2:9092', '--interval', '1h', '--timeout', '1s']), { brokerClient: client }, { start: false })
  t.teardown(a.close)
  await a.agent.runner.runCycle()
  const compact = await a.app.inject({ url: '/status' })
  const pretty = await a.app.inject({ url: '/status?pretty' })
  t.equal(pretty.statusCode, 200)
  t.equal(pretty.headers['content-type'], 'application/json; charset=utf-8')
  t.match(pretty.body, /^\{\n {2}"version": /)
  t.equal(compact.body.split('\n').length, 1, 'compact by default')
  const strip = (s: string): unknown => { const o = JSON.parse(s) as Record<string, unknown>; delete o.uptimeSeconds; return o }
  t.same(strip(pretty.body), strip(compact.body))
})
