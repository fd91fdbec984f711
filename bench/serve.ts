// Probe serving: /readyz of the real agent against a bare fastify route, in the same run.
//
//   npm run build && npx tsx bench/serve.ts [--seconds 20]      (needs wrk: apt-get install wrk)
//
// Throughput: both servers pinned to CPU 1 and loaded at the same time by two wrk processes on
// CPU 0, so CPU steal on a shared machine hits both alike; the ratio is what counts. The agent
// watches a real mock broker (checks every 1s) while it serves. Latency: /readyz, then the bare
// route, each alone at a fixed 1,000 requests/s from a client process on CPU 0 (bench/fixed-rate.cjs),
// timed per request with hrtime.
import { execFile, execFileSync, spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { promisify } from 'node:util'
import { parseArgs } from 'node:util'
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

interface Fixed { sent: number, non200: number, p50: number, p99: number, max: number }

/**
 * A fixed request rate from bench/fixed-rate.cjs, a client process of its own on CPU 0: timed in
 * this process, the latencies also held this process's own event-loop stalls.
 */
async function fixedRate (url: string, rate: number, seconds: number): Promise<Fixed> {
  const { stdout } = await run('taskset', ['-c', '0', process.execPath, resolve(__dirname, 'fixed-rate.cjs'), url, String(rate), String(seconds)])
  return JSON.parse(stdout) as Fixed
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
    // One server at a time at the fixed rate, each alone on CPU 1, bare right after the agent.
    const fixed = await fixedRate(probeUrl, 1000, seconds)
    const fixedBare = await fixedRate(bareUrl, 1000, seconds)

    const f = (n: number, d = 2): string => n.toFixed(d)
    console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, ${seconds}s per measurement`)
    console.log('| server (both on CPU 1, loaded together by wrk -t1 -c50 on CPU 0) | req/s | p50 (ms) | p99 (ms) | non-2xx |')
    console.log('|---|---|---|---|---|')
    console.log(`| agent /readyz | ${f(probe.rps, 0)} | ${f(probe.p50)} | ${f(probe.p99)} | ${probe.non2xx} |`)
    console.log(`| bare fastify /ok | ${f(baseline.rps, 0)} | ${f(baseline.p50)} | ${f(baseline.p99)} | ${baseline.non2xx} |`)
    console.log(`\nratio agent / bare: ${f(probe.rps / baseline.rps)}`)
    console.log('\n| alone at 1,000 req/s (10 connections, client process on CPU 0) | requests | non-200 | p50 (ms) | p99 (ms) | max (ms) |')
    console.log('|---|---|---|---|---|---|')
    for (const [name, r] of [['agent /readyz', fixed], ['bare fastify /ok', fixedBare]] as const) {
      console.log(`| ${name} | ${r.sent} | ${r.non200} | ${f(r.p50)} | ${f(r.p99)} | ${f(r.max)} |`)
    }
  } finally {
    bare.kill('SIGKILL')
    agent.proc.kill('SIGKILL')
    await cluster.stop()
  }
}

void main()
