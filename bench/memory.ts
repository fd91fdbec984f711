// Memory and descriptors: RSS at idle, then RSS and open descriptors after 10,000 check runs
// while the broker flaps down and up, each against a bare Node process measured at the same
// moment, and the heap after a full collection over the run.
//
//   npm run build && npx tsx bench/memory.ts [--runs 10000] [--agent-node-options "--max-semi-space-size=1"]
//
// The agent runs every 20ms (timeout 15ms) beside broker 1 of a mock cluster that this script
// takes down and brings back every 500ms, so runs alternate between answers, refused connects
// and redials. RSS and descriptors come from /proc of the agent process. A second agent, started
// with --inspect and flapping the same way, gives the heap after a forced full collection every
// 1,000 runs (test/helpers/inspector.ts); the first is never inspected or collected by force, so
// its RSS is the agent's own.
import { spawn } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { freePort } from '../test/helpers/cli'
import { inspectHeap } from '../test/helpers/inspector'
import { MockCluster } from '../test/helpers/mock-cluster'
import { cpuModel, metric, openFds, rssMiB, startAgent } from './lib'

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: false, options: { runs: { type: 'string', default: '10000' }, 'agent-node-options': { type: 'string', default: '' } } })
  const nodeOptions = String(values['agent-node-options'])
  const target = Number(values.runs)
  const cluster = await MockCluster.start(3)
  const bare = spawn(process.execPath, ['-e', 'setInterval(()=>{},1e3)'], { stdio: 'ignore' })
  const barePid = bare.pid ?? -1
  const idleAgent = await startAgent(['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1'], { nodeOptions })
  await sleep(15_000)
  const idle = { rss: rssMiB(idleAgent.pid), fds: openFds(idleAgent.pid), bare: rssMiB(barePid) }
  idleAgent.proc.kill('SIGKILL')

  const flapArgs = ['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--interval', '20ms', '--timeout', '15ms', '--failure-threshold', '1']
  const agent = await startAgent(flapArgs, { nodeOptions })
  const inspectPort = await freePort()
  const inspected = await startAgent(flapArgs, { nodeOptions: `${nodeOptions} --inspect=127.0.0.1:${inspectPort}` })
  const heap = await inspectHeap(inspectPort)
  const heapMiB = async (): Promise<number> => await heap.heapAfterGc() / 2 ** 20
  const inspectedRuns = async (): Promise<number> => await metric(inspected.port, 'kafka_healthz_check_runs_total', 'check="reachable"')
  const runs = async (): Promise<number> => await metric(agent.port, 'kafka_healthz_check_runs_total', 'check="reachable"')
  const state = { flapping: true }
  const flap = (async () => {
    let down = false
    while (state.flapping) {
      await sleep(500)
      down = !down
      await (down ? cluster.down(1) : cluster.up(1))
    }
    if (down) await cluster.up(1)
  })()
  // Warm up 1,000 runs before the first sample, so JIT and pools have settled.
  while (await runs() < 1000) await sleep(200)
  const before = { runs: await runs(), rss: rssMiB(agent.pid), fds: openFds(agent.pid), bare: rssMiB(barePid) }
  const samples: number[] = []
  const heaps: Array<[number, number]> = [[await inspectedRuns(), await heapMiB()]]
  while (await runs() < before.runs + target) {
    await sleep(2000)
    samples.push(rssMiB(agent.pid))
    const r = await inspectedRuns()
    if (r - (heaps.at(-1)?.[0] ?? 0) >= 1000) heaps.push([r, await heapMiB()])
  }
  heaps.push([await inspectedRuns(), await heapMiB()])
  state.flapping = false
  await flap
  const after = { runs: await runs(), rss: rssMiB(agent.pid), fds: openFds(agent.pid), bare: rssMiB(barePid) }
  const failures = await metric(agent.port, 'kafka_healthz_check_runs_total', 'result="failure"')
  heap.close()
  agent.proc.kill('SIGKILL')
  inspected.proc.kill('SIGKILL')
  bare.kill('SIGKILL')
  await cluster.stop()

  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}${nodeOptions === '' ? '' : `, agents with NODE_OPTIONS="${nodeOptions}"`}`)
  const ratio = (rss: number, b: number): string => (rss / b).toFixed(2)
  console.log('| measurement | RSS (MiB) | bare node RSS (MiB) | ratio | open descriptors |')
  console.log('|---|---|---|---|---|')
  console.log(`| idle, defaults, 15 s after start | ${idle.rss.toFixed(1)} | ${idle.bare.toFixed(1)} | ${ratio(idle.rss, idle.bare)} | ${idle.fds} |`)
  console.log(`| flapping, after 1,000 warm-up runs | ${before.rss.toFixed(1)} | ${before.bare.toFixed(1)} | ${ratio(before.rss, before.bare)} | ${before.fds} |`)
  console.log(`| flapping, after ${after.runs - before.runs} more runs (${failures} failed runs in all) | ${after.rss.toFixed(1)} | ${after.bare.toFixed(1)} | ${ratio(after.rss, after.bare)} | ${after.fds} |`)
  const sorted = [...samples].sort((a, b) => a - b)
  console.log(`\nRSS during the flapping runs, sampled every 2 s: min ${sorted[0]?.toFixed(1)}, median ${sorted[sorted.length >> 1]?.toFixed(1)}, max ${sorted.at(-1)?.toFixed(1)} MiB (ratio to bare: median ${ratio(sorted[sorted.length >> 1] ?? NaN, after.bare)})`)
  console.log(`Heap after a forced full GC (inspected agent), MiB at runs: ${heaps.map(([r, h]) => `${r}: ${h.toFixed(2)}`).join(', ')}`)
}

void main()
