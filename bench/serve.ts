// Probe serving: /readyz of the real agent against a bare fastify route, in the same run.
//
//   npm run build && npx tsx bench/serve.ts [--seconds 20]      (needs wrk: apt-get install wrk)
//
// Throughput: both servers pinned to CPU 1 and loaded at the same time by two wrk processes on
// CPU 0, so CPU steal on a shared machine hits both alike; the ratio is what counts. The agent
// watches a real mock broker (checks every 1s) while it serves. Latency: /readyz alone at a fixed
// 1,000 requests/s from this process (CPU 0), timed per request with hrtime.
import { execFile, execFileSync, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { promisify } from 'node:util'
import { parseArgs } from 'node:util'
import { Pool } from 'undici'
import { freePort, waitHttp } from '../test/helpers/cli'
import { MockCluster } from '../test/helpers/mock-cluster'
import { cpuModel, startAgent } from './lib'

const run = promisify(execFile)

interface Wrk { rps: number, p50: number, p99: number, non2xx: number }

/** Parses wrk --latency output; latencies in ms. */
function parseWrk (out: string): Wrk {
  const ms = (label: string): number => {
    const m = new RegExp(`^\\s*${label}%\\s+([\\d.]+)(us|ms|s)`, 'm').exec(out)
    if (m === null) return NaN
    return Number(m[1]) * ({ us: 0.001, ms: 1, s: 1000 }[m[2] as 'us' | 'ms' | 's'])
  }
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN),
    p50: ms('50'),
    p99: ms('99'),
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
  }
}

async function wrk (url: string, seconds: number): Promise<Wrk> {
  const { stdout } = await run('taskset', ['-c', '0', 'wrk', '-t1', '-c50', `-d${seconds}s`, '--latency', url])
  return parseWrk(stdout)
}

/** A fixed request rate, in batches every 10 ms, each request timed on its own. */
async function fixedRate (url: URL, rate: number, seconds: number): Promise<{ sent: number, non200: number, p50: number, p99: number, max: number }> {
  const pool = new Pool(url.origin, { connections: 10 })
  const latencies: number[] = []
  let non200 = 0
  const pending: Array<Promise<void>> = []
  const end = Date.now() + seconds * 1000
  const perTick = rate / 100
  let next = Date.now()
  while (Date.now() < end) {
    for (let i = 0; i < perTick; i++) {
      const t0 = process.hrtime.bigint()
      pending.push(pool.request({ path: url.pathname, method: 'GET' }).then(async (res) => {
        await res.body.dump()
        if (res.statusCode !== 200) non200++
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6)
      }))
    }
    next += 10
    await sleep(Math.max(0, next - Date.now()))
  }
  await Promise.all(pending)
  await pool.close()
  latencies.sort((a, b) => a - b)
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN
  return { sent: latencies.length, non200, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN }
}

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: false, options: { seconds: { type: 'string', default: '20' } } })
  const seconds = Number(values.seconds)
  execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' })
  const cluster = await MockCluster.start(3)
  const agent = await startAgent(['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--interval', '1s', '--timeout', '500ms'], { cpu: 1 })
  const barePort = await freePort()
  const bare = spawn('taskset', ['-c', '1', process.execPath, resolve(__dirname, 'bare-server.cjs'), String(barePort)], { stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    await waitHttp(barePort, '/ok', 200)
    await waitHttp(agent.port, '/readyz', 200)
    const probeUrl = `http://127.0.0.1:${agent.port}/readyz`
    const bareUrl = `http://127.0.0.1:${barePort}/ok`
    await Promise.all([wrk(probeUrl, 3), wrk(bareUrl, 3)]) // warm-up (JIT) for both
    const [probe, baseline] = await Promise.all([wrk(probeUrl, seconds), wrk(bareUrl, seconds)])
    bare.kill('SIGKILL')
    const fixed = await fixedRate(new URL(probeUrl), 1000, seconds)

    const f = (n: number, d = 2): string => n.toFixed(d)
    console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, ${seconds}s per measurement`)
    console.log('| server (both on CPU 1, loaded together by wrk -t1 -c50 on CPU 0) | req/s | p50 (ms) | p99 (ms) | non-2xx |')
    console.log('|---|---|---|---|---|')
    console.log(`| agent /readyz | ${f(probe.rps, 0)} | ${f(probe.p50)} | ${f(probe.p99)} | ${probe.non2xx} |`)
    console.log(`| bare fastify /ok | ${f(baseline.rps, 0)} | ${f(baseline.p50)} | ${f(baseline.p99)} | ${baseline.non2xx} |`)
    console.log(`\nratio agent / bare: ${f(probe.rps / baseline.rps)}`)
    console.log('\n| agent /readyz alone at 1,000 req/s (10 connections) | requests | non-200 | p50 (ms) | p99 (ms) | max (ms) |')
    console.log('|---|---|---|---|---|---|')
    console.log(`| per-request hrtime | ${fixed.sent} | ${fixed.non200} | ${f(fixed.p50)} | ${f(fixed.p99)} | ${f(fixed.max)} |`)
  } finally {
    bare.kill('SIGKILL')
    agent.proc.kill('SIGKILL')
    await cluster.stop()
  }
}

void main()
