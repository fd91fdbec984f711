import t from 'tap'
import { createServer } from 'node:net'
import { departedWorkers, MAX_DIALLED, parseWorkerId, tcpDial, type Dial } from '../../src/connect/departed'
import type { ConnectorStatus } from '../../src/connect/client'

const status = (name: string, workerId: string, tasks: Array<[string, string]>, state = 'RUNNING'): ConnectorStatus =>
  ({ name, state, workerId, type: 'sink', tasks: tasks.map(([s, w], id) => ({ id, state: s, workerId: w })) })

t.test('worker ids: IPv4, IPv6 in brackets, names; nonsense is not dialled', async (t) => {
  t.same(parseWorkerId('10.0.0.5:8083'), { host: '10.0.0.5', port: 8083 })
  t.same(parseWorkerId('[fd00::5]:8083'), { host: 'fd00::5', port: 8083 })
  t.same(parseWorkerId('connect-1.connect.kafka.svc:8083'), { host: 'connect-1.connect.kafka.svc', port: 8083 })
  for (const bad of ['', 'connect-1', 'fd00::5:8083', 'h:0', 'h:70000', 'h:80x']) t.equal(parseWorkerId(bad), undefined, bad)
})

t.test('only workers something RUNNING is reported on are dialled, each once, at most MAX_DIALLED', async (t) => {
  const dialled: string[] = []
  const dial: Dial = async (host, port) => { dialled.push(`${host}:${port}`); return await Promise.resolve(host === 'b' ? 'gone' : 'there') }
  const statuses = [
    status('x', 'a:1', [['RUNNING', 'b:1'], ['FAILED', 'c:1']]),
    status('y', 'd:1', [['RUNNING', 'b:1']], 'PAUSED'),
  ]
  const gone = await departedWorkers(statuses, dial, new AbortController().signal)
  t.same([...gone], ['b:1'])
  t.same(dialled.sort(), ['a:1', 'b:1'], 'c (FAILED) and d (PAUSED) are not dialled')
  dialled.length = 0
  const many = Array.from({ length: 200 }, (_, i) => status(`c${i}`, `w${i}:1`, []))
  await departedWorkers(many, dial, new AbortController().signal)
  t.equal(dialled.length, MAX_DIALLED)
  dialled.length = 0
  await departedWorkers(statuses, dial, new AbortController().signal, (name) => name === 'y')
  t.same(dialled, ['b:1'], 'connectors not selected are none of its business')
})

t.test('a real TCP dial: listening → there; refused or unresolvable → gone; cut short → unknown', async (t) => {
  const server = createServer((s) => { s.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const signal = new AbortController().signal
  t.equal(await tcpDial('127.0.0.1', port, signal), 'there')
  await new Promise((resolve) => server.close(resolve))
  t.equal(await tcpDial('127.0.0.1', port, signal), 'gone', 'nothing listens there any more')
  t.equal(await tcpDial('no-such-worker.invalid', 8083, signal), 'gone', 'a name that no longer resolves')
  const aborted = new AbortController()
  aborted.abort()
  t.equal(await tcpDial('127.0.0.1', port, aborted.signal), 'unknown')
})
