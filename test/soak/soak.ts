// The soak and fault suite: the built agent under a steady probe load while faults are injected
// in turn into a real mock Kafka cluster and the Connect REST stand-in. Used by test/soak.test.ts
// (short, in CI) and by `npm run soak` (10 minutes by default).
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { freePort, startCli, waitHttp, type Exit } from '../helpers/cli'
import { ConnectStandIn } from '../helpers/connect-stand-in'
import { MockCluster } from '../helpers/mock-cluster'
import { inspectHeap, type HeapProbe } from '../helpers/inspector'
import { openFds, rssMiB } from '../helpers/proc'

const INTERVAL = 500
const TIMEOUT = 300
/** Scheduling slack on a shared 2-core machine, on top of the bounds the agent promises. */
const SLACK = 1000
/** Fault → 503: a run that just started, misses its deadline, then one failed run flips it. */
const DETECT_MS = TIMEOUT + INTERVAL + SLACK
/** Heal → 200: the next run after the fault ends, plus one possibly still timing out. */
const RECOVER_MS = TIMEOUT * 2 + INTERVAL * 2 + SLACK
/** No probe answer may take longer than this, whatever the peers do. */
const ANSWER_BOUND_MS = 250
const PROBES_PER_SECOND = 100
/**
 * Heap after a full collection may grow by this much from the end of the first fault cycle (every
 * fault path has run once: its code compiled, its pools and caches filled) to the end of the
 * last. Over a 180 s soak it stayed within 13.35-14.01 MiB after the first cycle (BENCHMARKS.md,
 * "Soak"). The agent runs 12 checks a second here: a leak of 1 KiB per check run crosses the
 * bound in about 3 minutes, so `npm run soak` (10 minutes) catches it; the 30 s CI soak catches
 * leaks ten times faster.
 */
const HEAP_GROWTH_BOUND_MIB = 2

export interface SoakReport {
  seconds: number
  cycles: number
  phases: Array<{ fault: string, detectMs: number, recoverMs: number }>
  probes: number
  slowestMs: number
  rss: { start: number, end: number }
  /** Heap in use after a forced full collection (MiB): at the start, then after every cycle. */
  heap: number[]
  fds: { start: number, end: number }
  violations: string[]
}

interface Fault { name: string, inject: () => Promise<void> | void, heal: () => Promise<void> | void }

export async function runSoak (seconds: number, log: (line: string) => void = () => {}): Promise<SoakReport> {
  const cluster = await MockCluster.start(3)
  const worker = await new ConnectStandIn().start()
  for (let i = 0; i < 20; i++) worker.add(`connector-${i}`, { tasks: 2 })
  const port = await freePort()
  // The inspector, on loopback, is how the soak reads the heap after a full collection (see
  // test/helpers/inspector.ts): the agent exposes nothing for it.
  const inspectPort = await freePort()
  const { child, exit } = startCli([
    '--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--connect-url', worker.url,
    '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1',
    '--connect-max-body-bytes', '1048576', '--host', '127.0.0.1', '--shutdown-delay', '0',
  ], { HEALTHZ_PORT: String(port), NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` })
  let exited: Exit | undefined
  void exit.then((e) => { exited = e })
  const violations: string[] = []
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 })
  const report: SoakReport = { seconds, cycles: 0, phases: [], probes: 0, slowestMs: 0, rss: { start: 0, end: 0 }, heap: [], fds: { start: 0, end: 0 }, violations }
  let last = 0

  // The steady load: every answer is checked for its status and its time. It starts once the
  // agent listens (see below).
  const load = { on: true }
  const steadyLoad = async (): Promise<void> => {
    let next = Date.now()
    while (load.on) {
      const batch = Array.from({ length: PROBES_PER_SECOND / 10 }, async () => {
        const t0 = process.hrtime.bigint()
        try {
          const res = await pool.request({ path: '/readyz', method: 'GET' })
          await res.body.dump()
          const ms = Number(process.hrtime.bigint() - t0) / 1e6
          report.probes++
          report.slowestMs = Math.max(report.slowestMs, ms)
          last = res.statusCode
          if (res.statusCode !== 200 && res.statusCode !== 503) violations.push(`probe answered ${res.statusCode}`)
          if (ms > ANSWER_BOUND_MS) violations.push(`probe answer took ${ms.toFixed(1)}ms (bound ${ANSWER_BOUND_MS}ms)`)
        } catch (err) {
          violations.push(`probe failed: ${err instanceof Error ? err.message : String(err)}`)
        }
      })
      await Promise.all(batch)
      next += 100
      await sleep(Math.max(0, next - Date.now()))
    }
  }
  let loader: Promise<void> = Promise.resolve()

  async function until (status: number, boundMs: number, what: string): Promise<number> {
    const start = Date.now()
    while (last !== status) {
      if (Date.now() - start > boundMs) {
        violations.push(`${what}: /readyz still ${last} after ${boundMs}ms`)
        return Date.now() - start
      }
      await sleep(10)
    }
    return Date.now() - start
  }

  const faults: Fault[] = [
    { name: 'broker down', inject: async () => { await cluster.down(1) }, heal: async () => { await cluster.up(1) } },
    { name: 'broker frozen (SIGSTOP)', inject: () => { cluster.freeze() }, heal: () => { cluster.thaw() } },
    { name: 'broker slow (RTT 1s)', inject: async () => { await cluster.rtt(1, 1000) }, heal: async () => { await cluster.rtt(1, 0) } },
    { name: 'Connect hung', inject: () => { worker.fault = 'hang'; worker.health = 'hang' }, heal: () => { worker.fault = 'none'; worker.health = 'healthy' } },
    { name: 'Connect HTTP 500', inject: () => { worker.fault = 'http-500' }, heal: () => { worker.fault = 'none' } },
    { name: 'Connect garbage', inject: () => { worker.fault = 'garbage' }, heal: () => { worker.fault = 'none' } },
    { name: 'Connect huge body', inject: () => { worker.fault = 'huge' }, heal: () => { worker.fault = 'none' } },
    { name: 'connector paused', inject: () => { worker.setState('connector-3', 'PAUSED') }, heal: () => { worker.setState('connector-3', 'RUNNING') } },
  ]

  let heap: HeapProbe | undefined
  try {
    await waitHttp(port, '/readyz', 200, 30_000)
    heap = await inspectHeap(inspectPort)
    loader = steadyLoad()
    await sleep(2000)
    const pid = child.pid ?? -1
    report.rss.start = rssMiB(pid)
    report.fds.start = openFds(pid)
    report.heap.push(await heap.heapAfterGc() / 2 ** 20)
    const startedAt = JSON.parse(await (await pool.request({ path: '/status', method: 'GET' })).body.text()).startedAt as string
    const end = Date.now() + seconds * 1000
    do {
      for (const f of faults) {
        await f.inject()
        const detectMs = await until(503, DETECT_MS, `${f.name}: fault → 503`)
        await sleep(1000)
        await f.heal()
        const recoverMs = await until(200, RECOVER_MS, `${f.name}: heal → 200`)
        report.phases.push({ fault: f.name, detectMs, recoverMs })
        log(`${f.name}: 503 after ${detectMs}ms, 200 again after ${recoverMs}ms`)
        await sleep(500)
      }
      report.cycles++
      report.heap.push(await heap.heapAfterGc() / 2 ** 20)
    } while (Date.now() < end)
    report.rss.end = rssMiB(pid)
    report.fds.end = openFds(pid)
    // RSS swings by tens of MiB with garbage not yet collected: it is reported, not bounded. The
    // heap after a full collection is what a leak grows.
    const [afterFirst = 0, last = 0] = [report.heap[1], report.heap.at(-1)]
    if (last - afterFirst > HEAP_GROWTH_BOUND_MIB) {
      violations.push(`heap after GC grew from ${afterFirst.toFixed(2)} MiB (first cycle) to ${last.toFixed(2)} MiB (cycle ${report.cycles})`)
    }
    if (report.fds.end - report.fds.start > 5) violations.push(`descriptors grew from ${report.fds.start} to ${report.fds.end}`)
    const status = JSON.parse(await (await pool.request({ path: '/status', method: 'GET' })).body.text()) as { startedAt: string }
    if (status.startedAt !== startedAt || exited !== undefined) violations.push('the agent restarted or exited')
  } finally {
    heap?.close()
    load.on = false
    await loader
    await pool.close()
    child.kill('SIGTERM')
    const e = await exit
    cluster.thaw()
    await cluster.stop()
    await worker.stop()
    const text = `${e.stdout}\n${e.stderr}`
    if (/unhandled/i.test(text)) violations.push('an unhandled rejection or exception was reported')
    for (const line of e.stdout.split('\n')) {
      if (/"level":"(error|fatal)"/.test(line)) violations.push(`agent logged: ${line.slice(0, 200)}`)
    }
    if (e.code !== 0) violations.push(`the agent exited ${String(e.code)} on SIGTERM`)
  }
  return report
}
