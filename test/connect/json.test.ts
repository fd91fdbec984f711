import t from 'tap'
import { ConnectError } from '../../src/connect/client'
import { connectorList, connectorStatus, healthBody, parseJson, tasksMaxOf } from '../../src/connect/json'
import { encodeName } from '../../src/connect/undici-client'

const ok = { name: 'a', connector: { state: 'RUNNING', worker_id: 'w:1', version: '3.9.0' }, tasks: [{ id: 0, state: 'FAILED', worker_id: 'w:1', trace: 'boom' }], type: 'source', extra: true }

t.test('the worker\'s real shapes parse; unknown fields are ignored', async (t) => {
  t.same(connectorStatus(ok, 'x'), { name: 'a', state: 'RUNNING', workerId: 'w:1', type: 'source', tasks: [{ id: 0, state: 'FAILED', workerId: 'w:1', trace: 'boom' }] })
  t.same(connectorStatus({ ...ok, type: undefined, connector: { ...ok.connector, trace: 't' } }, 'x'), { name: 'a', state: 'RUNNING', workerId: 'w:1', trace: 't', type: 'unknown', tasks: [{ id: 0, state: 'FAILED', workerId: 'w:1', trace: 'boom' }] })
  t.same(connectorList(['a', 'b'], 'status', connectorStatus), { expanded: false, names: ['a', 'b'] })
  const list = connectorList({ a: { status: ok, info: { config: { 'tasks.max': '3' } } }, gone: {} }, 'status', connectorStatus)
  t.equal(list.expanded && list.entries.length, 1, 'an entry without status (deleted while listing) is left out')
  const info = connectorList({ a: { info: { config: { 'tasks.max': '3' } } } }, 'info', tasksMaxOf)
  t.same(info.expanded && info.entries, [['a', 3]])
})

t.test('wrong shapes are CONNECT_BAD_RESPONSE with the path to the bad field', async (t) => {
  const cases: Array<[unknown, string]> = [
    [null, 'x is not an object'],
    [{ ...ok, connector: 'RUNNING' }, 'x.connector is not an object'],
    [{ ...ok, tasks: {} }, 'x.tasks is not an array'],
    [{ ...ok, tasks: [1] }, 'x.tasks[0] is not an object'],
    [{ ...ok, tasks: [{ id: '0', state: 'RUNNING', worker_id: 'w' }] }, 'x.tasks[0].id is not a number'],
    [{ ...ok, connector: { state: 7, worker_id: 'w' } }, 'x.connector.state is not a string'],
    [{ ...ok, name: undefined }, 'x.name is not a string'],
  ]
  for (const [v, msg] of cases) t.throws(() => connectorStatus(v, 'x'), new ConnectError('bad-response', `unexpected JSON from the worker: ${msg}`), msg)
  t.throws(() => connectorList([1], 'status', connectorStatus), { kind: 'bad-response', message: /non-string/ })
  t.throws(() => connectorList('x', 'status', connectorStatus), { kind: 'bad-response', message: /neither an object nor an array/ })
  t.throws(() => connectorList({ a: 1 }, 'status', connectorStatus), { kind: 'bad-response', message: /connectors\["a"\] is not an object/ })
  t.throws(() => parseJson('<html>', 'GET /x'), { kind: 'bad-response', message: 'GET /x is not JSON (starts with "<html>")' })
})

t.test('small helpers', async (t) => {
  t.equal(tasksMaxOf({ config: { 'tasks.max': 'x' } }), undefined)
  t.equal(tasksMaxOf(undefined), undefined)
  t.same(healthBody('x'), { status: '', message: '' })
  t.same(healthBody({ status: 'healthy', message: 3 }), { status: 'healthy', message: '' })
  t.equal(encodeName('a/b %.'), 'a%2Fb%20%25%2E')
})
