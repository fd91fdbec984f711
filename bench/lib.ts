// Shared pieces of the benchmarks: starting the built agent, reading its metrics and /proc.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { request } from 'undici'
import { freePort, waitHttp } from '../test/helpers/cli'
export { openFds, rssMiB } from '../test/helpers/proc'

export interface RunningAgent { proc: ChildProcess, port: number, pid: number }

/** The built agent on loopback, optionally pinned to one CPU with taskset. */
export async function startAgent (args: string[], opts: { cpu?: number, nodeOptions?: string } = {}): Promise<RunningAgent> {
  const port = await freePort()
  const cli = resolve(__dirname, '..', 'dist', 'cli.js')
  const cmd = opts.cpu === undefined ? [process.execPath, cli] : ['taskset', '-c', String(opts.cpu), process.execPath, cli]
  const proc = spawn(cmd[0] ?? '', [...cmd.slice(1), '--host', '127.0.0.1', '--log-level', 'warn', ...args],
    { env: { PATH: process.env.PATH, HEALTHZ_PORT: String(port), ...(opts.nodeOptions !== undefined && opts.nodeOptions !== '' && { NODE_OPTIONS: opts.nodeOptions }) }, stdio: ['ignore', 'ignore', 'inherit'] })
  await waitHttp(port, '/ping', 200, 30_000)
  return { proc, port, pid: proc.pid ?? -1 }
}

/** Sums the samples of one metric (all label sets matching `labels`) from /metrics. */
export async function metric (port: number, name: string, labels = ''): Promise<number> {
  const res = await request(`http://127.0.0.1:${port}/metrics`)
  const text = await res.body.text()
  let sum = 0
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue
    const rest = line.slice(name.length)
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue
    if (labels !== '' && !rest.includes(labels)) continue
    sum += Number(line.split(' ').at(-1))
  }
  return sum
}

export function cpuModel (): string {
  const m = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))
  return m?.[1] ?? 'unknown CPU'
}

/**
 * The agent's CPU per run of `check` and the run's mean duration, over `seconds` after a 3 s
 * warm-up (JIT, connections). CPU includes the agent's idle overhead between runs.
 */
export async function costPerRun (agent: RunningAgent, check: string, seconds: number): Promise<{ runs: number, cpuMsPerRun: number, meanDurationMs: number }> {
  await new Promise((resolve) => setTimeout(resolve, 3000))
  const cpu0 = await metric(agent.port, 'process_cpu_seconds_total')
  const runs0 = await metric(agent.port, 'kafka_healthz_check_runs_total', `check="${check}"`)
  const dur0 = await metric(agent.port, 'kafka_healthz_check_duration_seconds_sum', `check="${check}"`)
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
  const runs = await metric(agent.port, 'kafka_healthz_check_runs_total', `check="${check}"`) - runs0
  const cpu = await metric(agent.port, 'process_cpu_seconds_total') - cpu0
  const dur = await metric(agent.port, 'kafka_healthz_check_duration_seconds_sum', `check="${check}"`) - dur0
  return { runs, cpuMsPerRun: (cpu * 1000) / runs, meanDurationMs: (dur * 1000) / runs }
}

/**
 * Runs the built agent with `args` at --log-level debug for `seconds` and counts its kafkajs
 * request lines by API (and by listener with `byListener`); returns them with the runs of `check`.
 */
export async function countRequests (args: string[], seconds: number, check: string, byListener = false): Promise<string> {
  const port = await freePort()
  const proc = spawn(process.execPath, [resolve(__dirname, '..', 'dist', 'cli.js'), ...args, '--host', '127.0.0.1', '--log-level', 'debug'],
    { env: { PATH: process.env.PATH, HEALTHZ_PORT: String(port) }, stdio: ['ignore', 'pipe', 'ignore'] })
  const byApi = new Map<string, number>()
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const api = /"msg":"Request (\w+)\(key/.exec(line)?.[1]
    if (api === undefined) return
    const key = byListener ? `${api} to ${/"broker":"([^"]+)"/.exec(line)?.[1] ?? '?'}` : api
    byApi.set(key, (byApi.get(key) ?? 0) + 1)
  })
  await waitHttp(port, '/ping', 200, 30_000)
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const runs = await metric(port, 'kafka_healthz_check_runs_total', `check="${check}"`)
  proc.kill('SIGKILL')
  return `${runs} ${check} runs; ${[...byApi].map(([api, n]) => `${api}${byListener ? ':' : ''} ${n}`).join(', ')}`
}
