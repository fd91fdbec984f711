// Where a Connect run's CPU goes, phase by phase, in this process on the worker's real JSON.
//
//   npx tsx bench/connect-phases.ts [--connectors 2000] [--tasks 8] [--runs 200]
//
// The body is the Connect REST stand-in's GET /connectors?expand=status (the worker's JSON).
// Each phase of a run is timed with process.cpuUsage over --runs repetitions after a warm-up:
// the body into a string, JSON.parse, the shape checks, the evaluation, the metrics update. The
// last two rows are whole runs of the real connectors check through the undici client (what
// bench/check-cost.ts sees from outside): once with the same body every run (a worker at rest)
// and once with a body that changes every run (a rebalance). For those the bodies are rendered
// beforehand and served by a bare http server in this process, so the server's share of the CPU
// is the write of a ready buffer.
import { createServer } from 'node:http'
import { once } from 'node:events'
import { parseArgs } from 'node:util'
import { Registry } from 'prom-client'
import { request } from 'undici'
import { connectorsCheck } from '../src/connect/checks'
import { evaluateConnectors, type TransitionClock } from '../src/connect/evaluate'
import { connectorList, connectorStatus } from '../src/connect/json'
import { createUndiciConnectClient } from '../src/connect/undici-client'
import { createConnectMetrics } from '../src/connect/metrics'
import { configFrom } from '../test/helpers/agent'
import { ConnectStandIn } from '../test/helpers/connect-stand-in'
import { cpuModel } from './lib'

function time (runs: number, fn: (i: number) => unknown): number {
  for (let i = 0; i < Math.min(20, runs); i++) fn(i) // warm-up (JIT)
  const t0 = process.cpuUsage()
  for (let i = 0; i < runs; i++) fn(i)
  const d = process.cpuUsage(t0)
  return (d.user + d.system) / 1000 / runs
}

async function timeAsync (runs: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  for (let i = 0; i < Math.min(10, runs); i++) await fn(i)
  const t0 = process.cpuUsage()
  for (let i = 0; i < runs; i++) await fn(i)
  const d = process.cpuUsage(t0)
  return (d.user + d.system) / 1000 / runs
}

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: false, options: { connectors: { type: 'string', default: '2000' }, tasks: { type: 'string', default: '8' }, runs: { type: 'string', default: '200' } } })
  const connectors = Number(values.connectors)
  const tasks = Number(values.tasks)
  const runs = Number(values.runs)
  const w = await new ConnectStandIn().start()
  for (let i = 0; i < connectors; i++) w.add(`connector-${i}`, { tasks })
  const body = async (): Promise<Buffer> => Buffer.from(await (await request(`${w.url}/connectors?expand=status`)).body.arrayBuffer())
  const raw = await body()
  w.setTask('connector-0', 0, 'UNASSIGNED')
  const other = await body()
  await w.stop()
  let served = 0
  let changing = false
  const server = createServer((req, res) => {
    const b = req.url === '/connectors?expand=status' ? (changing && served++ % 2 === 1 ? other : raw) : Buffer.from('{"status":"healthy","message":""}')
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': b.length }).end(b)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  try {
    const text = raw.toString('utf8')
    const parsed: unknown = JSON.parse(text)
    const statuses = connectorList(parsed, 'status', connectorStatus)
    if (!statuses.expanded) throw new Error('the stand-in did not expand')
    const list = statuses.entries.map(([, s]) => s)
    const target = configFrom(['--connect-url', url]).connect
    if (target === undefined) throw new Error('no Connect target')
    const opts = target
    const clock: TransitionClock = new Map()
    const { verdicts } = evaluateConnectors(list, opts, 0, clock)
    const otherList = connectorList(JSON.parse(other.toString('utf8')), 'status', connectorStatus)
    if (!otherList.expanded) throw new Error('the stand-in did not expand')
    const otherVerdicts = evaluateConnectors(otherList.entries.map(([, s]) => s), opts, 0, new Map()).verdicts
    const metrics = createConnectMetrics('x_', new Registry(), 500)

    const client = createUndiciConnectClient({ target, timeoutMs: 5000, userAgent: 'bench' })
    const check = connectorsCheck({ client, target, now: () => performance.now(), timeoutMs: 5000, sink: metrics })
    const signal = new AbortController().signal
    const rest = await timeAsync(runs, async () => await check.run(signal))
    // One task flips between RUNNING and UNASSIGNED: the body differs every run, as in a rebalance.
    changing = true
    const changed = await timeAsync(runs, async () => await check.run(signal))
    await client.close()

    const rows: Array<[string, number]> = [
      ['body bytes to string', time(runs, () => raw.toString('utf8'))],
      ['JSON.parse', time(runs, () => JSON.parse(text))],
      ['shape checks', time(runs, () => connectorList(parsed, 'status', connectorStatus))],
      ['evaluation', time(runs, (i) => evaluateConnectors(list, opts, i, clock))],
      // Alternating between two runs' verdicts that differ in one task, as the check hands them over.
      ['metrics update (one task changed)', time(runs, (i) => { metrics.connectors(i % 2 === 0 ? verdicts : otherVerdicts) })],
    ]
    console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()}, Node ${process.versions.node}: ${connectors} connectors x ${tasks} tasks, body ${(raw.length / 1e6).toFixed(2)} MB, ${runs} runs each`)
    console.log('| phase | CPU per run (ms) |')
    console.log('|---|---|')
    for (const [name, ms] of rows) console.log(`| ${name} | ${ms.toFixed(2)} |`)
    console.log(`| whole connectors check, same body every run (client + check + metrics) | ${rest.toFixed(2)} |`)
    console.log(`| whole connectors check, body changes every run | ${changed.toFixed(2)} |`)
  } finally {
    server.close()
  }
}

void main()
