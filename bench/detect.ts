// Time to detect, and probe latency while the peer is broken.
//
//   npm run build && npx tsx bench/detect.ts [--interval 5s --timeout 3s --failure-threshold 2 ...]
//
// Starts a 3-broker mock cluster and the built agent beside broker 1 (extra args go to the
// agent), then for each fault — broker 1 down (refuses connections), whole cluster frozen
// (SIGSTOP: open sockets, no answers) — polls /readyz on one keep-alive connection and reports:
// the time from the fault to the first 503, from recovery to the first 200, and the latency of
// every probe answer while the fault lasted. The bound to compare with is
// timeout + interval × failure-threshold (detection) and interval × success-threshold + one run
// (recovery).
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { freePort, waitHttp } from '../test/helpers/cli'
import { MockCluster } from '../test/helpers/mock-cluster'

const POLL_MS = 20

function pct (sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN
}

async function main (): Promise<void> {
  const extra = process.argv.slice(2)
  const cluster = await MockCluster.start(3)
  const port = await freePort()
  const agent = spawn(process.execPath, [resolve(__dirname, '..', 'dist', 'cli.js'),
    '--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--host', '127.0.0.1', '--log-level', 'warn', ...extra],
  { env: { PATH: process.env.PATH, HEALTHZ_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 1 })

  async function probe (): Promise<{ status: number, ms: number }> {
    const t0 = process.hrtime.bigint()
    const res = await pool.request({ path: '/readyz', method: 'GET' })
    await res.body.dump()
    return { status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }
  }

  /** Polls until /readyz answers `want`; returns the elapsed time and every answer's latency. */
  async function until (want: number, limitMs: number): Promise<{ afterMs: number, latencies: number[] }> {
    const start = Date.now()
    const latencies: number[] = []
    for (;;) {
      const r = await probe()
      latencies.push(r.ms)
      if (r.status === want) return { afterMs: Date.now() - start, latencies }
      if (Date.now() - start > limitMs) throw new Error(`no ${want} within ${limitMs}ms`)
      await sleep(POLL_MS)
    }
  }

  try {
    await waitHttp(port, '/readyz', 200, 30_000)
    const rows: string[] = []
    const faults: Array<{ name: string, inject: () => Promise<void>, heal: () => Promise<void> }> = [
      { name: 'broker down (connection refused)', inject: async () => { await cluster.down(1) }, heal: async () => { await cluster.up(1) } },
      { name: 'cluster frozen (SIGSTOP)', inject: async () => { cluster.freeze(); await Promise.resolve() }, heal: async () => { cluster.thaw(); await Promise.resolve() } },
    ]
    for (const f of faults) {
      await sleep(1000)
      await f.inject()
      const down = await until(503, 120_000)
      // Keep probing through a further stretch of the fault: answers must stay fast throughout.
      const during: number[] = [...down.latencies]
      const holdUntil = Date.now() + 5000
      while (Date.now() < holdUntil) { during.push((await probe()).ms); await sleep(POLL_MS) }
      await f.heal()
      const up = await until(200, 120_000)
      const sorted = during.sort((a, b) => a - b)
      rows.push(`| ${f.name} | ${down.afterMs} | ${up.afterMs} | ${sorted.length} | ${pct(sorted, 50).toFixed(2)} | ${pct(sorted, 99).toFixed(2)} | ${sorted.at(-1)?.toFixed(2)} |`)
    }
    console.log(`agent args: ${extra.join(' ') || '(defaults)'}`)
    console.log('| fault | fault → 503 (ms) | heal → 200 (ms) | probes during fault | p50 (ms) | p99 (ms) | max (ms) |')
    console.log('|---|---|---|---|---|---|---|')
    for (const r of rows) console.log(r)
  } finally {
    await pool.close()
    agent.kill('SIGKILL')
    await cluster.stop()
  }
}

void main()
