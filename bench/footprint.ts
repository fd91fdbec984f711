// Footprint against a bare Node process, measured in the same run (issue 16): time to the first
// /ping 200 against a bare fastify server's first 200, idle RSS against `node -e
// "setInterval(()=>{},1e3)"`, and idle CPU, for the broker sidecar, the Connect sidecar and an
// agent with both targets, all at default settings (interval 5 s).
//
//   npm run build && npx tsx bench/footprint.ts [--rounds 7] [--seconds 120]
//   .cache/node24/node_modules/.bin/node node_modules/.bin/tsx bench/footprint.ts    # on Node 24
//
// Every process runs on the Node that runs this script (process.execPath). Start: each round
// launches the bare server and each agent one after the other, in a rotating order, and polls
// every 2 ms from this process with a fresh connection; the figure is spawn → first 200. Idle:
// all processes run side by side beside a 3-broker mock cluster (broker 1, in-sync on) and the
// Connect stand-in (20 connectors x 2 tasks); after a 20 s settle, RSS is sampled every 5 s and
// CPU (utime + stime from /proc/<pid>/stat, 10 ms ticks) is the difference over the window.
// NODE_OPTIONS for the agents only: --agent-node-options "..." (e.g. the image's V8 flags).
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { freePort } from '../test/helpers/cli'
import { ConnectStandIn } from '../test/helpers/connect-stand-in'
import { MockCluster } from '../test/helpers/mock-cluster'
import { rssMiB } from '../test/helpers/proc'
import { cpuModel } from './lib'

const CLI = resolve(__dirname, '..', 'dist', 'cli.js')
const BARE_SERVER = resolve(__dirname, 'bare-server.cjs')
const TICK_MS = 10 // USER_HZ 100 on Linux

interface Proc { name: string, proc: ChildProcess, pid: number }

function spawnProc (name: string, args: string[], env: Record<string, string> = {}): Proc {
  const proc = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  return { name, proc, pid: proc.pid ?? -1 }
}

function agentArgs (port: number, targets: string[]): string[] {
  return [CLI, '--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', ...targets]
}

/** One GET on a fresh connection; the status, or 0 when nothing answers. */
async function status (port: number, path: string): Promise<number> {
  return await new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, agent: false }, (res) => { res.resume(); resolve(res.statusCode ?? 0) })
    req.on('error', () => { resolve(0) })
    req.setTimeout(1000, () => { req.destroy(); resolve(0) })
    req.end()
  })
}

/** Spawn → first 200, polling every 2 ms. */
async function timeToFirst200 (args: string[], port: number, path: string, env: Record<string, string>): Promise<number> {
  const t0 = performance.now()
  const p = spawnProc('start', args, env)
  try {
    for (;;) {
      if (await status(port, path) === 200) return performance.now() - t0
      if (performance.now() - t0 > 30_000) throw new Error(`${args.join(' ')}: no 200 on ${path} within 30 s`)
      await sleep(2)
    }
  } finally {
    const exited = new Promise((resolve) => p.proc.once('exit', resolve))
    p.proc.kill('SIGKILL')
    await exited
  }
}

function cpuTicks (pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(f[11]) + Number(f[12])
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 === 1 ? (s[m] ?? NaN) : ((s[m - 1] ?? NaN) + (s[m] ?? NaN)) / 2
}
const range = (xs: readonly number[], d = 2): string => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)}`

async function main (): Promise<void> {
  const { values } = parseArgs({
    strict: false,
    options: { rounds: { type: 'string', default: '7' }, seconds: { type: 'string', default: '120' }, 'agent-node-options': { type: 'string', default: '' }, only: { type: 'string', default: 'start,idle' } },
  })
  const rounds = Number(values.rounds)
  const seconds = Number(values.seconds)
  const agentEnv: Record<string, string> = values['agent-node-options'] === '' ? {} : { NODE_OPTIONS: String(values['agent-node-options']) }
  const only = String(values.only).split(',')
  const cluster = await MockCluster.start(3)
  const worker = await new ConnectStandIn().start()
  for (let i = 0; i < 20; i++) worker.add(`connector-${i}`, { tasks: 2 })
  const broker = ['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1']
  const connect = ['--connect-url', worker.url]
  const kinds: Array<[string, string[]]> = [['broker', broker], ['connect', connect], ['both', [...broker, ...connect]]]
  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}${agentEnv.NODE_OPTIONS === undefined ? '' : `, agents with NODE_OPTIONS="${agentEnv.NODE_OPTIONS}"`}`)

  if (only.includes('start')) {
    const times = new Map<string, number[]>([['bare', []], ...kinds.map(([k]) => [k, []] as [string, number[]])])
    const ratios = new Map<string, number[]>(kinds.map(([k]) => [k, []]))
    const launches: Array<[string, () => Promise<number>]> = [
      ['bare', async () => { const port = await freePort(); return await timeToFirst200([BARE_SERVER, String(port)], port, '/ok', {}) }],
      ...kinds.map(([k, args]): [string, () => Promise<number>] => [k, async () => { const port = await freePort(); return await timeToFirst200(agentArgs(port, args), port, '/ping', agentEnv) }]),
    ]
    await launches[0]?.[1]() // warm the file cache
    for (let r = 0; r < rounds; r++) {
      const got = new Map<string, number>()
      for (let i = 0; i < launches.length; i++) {
        const [name, launch] = launches[(i + r) % launches.length] ?? launches[0] ?? ['', async () => 0]
        const ms = await launch()
        got.set(name, ms)
        times.get(name)?.push(ms)
      }
      for (const [k] of kinds) ratios.get(k)?.push((got.get(k) ?? NaN) / (got.get('bare') ?? NaN))
    }
    console.log(`\nStart: spawn → first 200, ${rounds} rounds (median, range in ms; ratio to the bare fastify server of the same round)`)
    console.log('| process | median (ms) | range (ms) | ratio to bare, median | ratio range |')
    console.log('|---|---|---|---|---|')
    const bare = times.get('bare') ?? []
    console.log(`| bare fastify (bench/bare-server.cjs) | ${median(bare).toFixed(0)} | ${range(bare, 0)} | 1 | |`)
    for (const [k] of kinds) {
      const t = times.get(k) ?? []
      const q = ratios.get(k) ?? []
      console.log(`| agent, ${k} | ${median(t).toFixed(0)} | ${range(t, 0)} | ${median(q).toFixed(2)} | ${range(q)} |`)
    }
  }

  if (only.includes('idle')) {
    const procs: Proc[] = [spawnProc('bare node', ['-e', 'setInterval(()=>{},1e3)'])]
    for (const [k, args] of kinds) procs.push(spawnProc(`agent, ${k}`, agentArgs(await freePort(), args), agentEnv))
    await sleep(20_000)
    const rss = new Map<string, number[]>(procs.map((p) => [p.name, []]))
    const ticks0 = procs.map((p) => cpuTicks(p.pid))
    const t0 = performance.now()
    while (performance.now() - t0 < seconds * 1000) {
      for (const p of procs) rss.get(p.name)?.push(rssMiB(p.pid))
      await sleep(5000)
    }
    const elapsed = performance.now() - t0
    const cpu = procs.map((p, i) => (cpuTicks(p.pid) - (ticks0[i] ?? 0)) * TICK_MS / elapsed * 100)
    for (const p of procs) p.proc.kill('SIGKILL')
    const bare = median(rss.get('bare node') ?? [])
    console.log(`\nIdle, defaults (interval 5 s), ${(elapsed / 1000).toFixed(0)} s after a 20 s settle; RSS sampled every 5 s`)
    console.log('| process | RSS median (MiB) | RSS range (MiB) | ratio to bare node | CPU (% of a core) |')
    console.log('|---|---|---|---|---|')
    procs.forEach((p, i) => {
      const r = rss.get(p.name) ?? []
      console.log(`| ${p.name} | ${median(r).toFixed(1)} | ${range(r, 1)} | ${(median(r) / bare).toFixed(2)} | ${(cpu[i] ?? NaN).toFixed(3)} |`)
    })
  }
  await worker.stop()
  await cluster.stop()
}

void main()
