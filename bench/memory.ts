// Memory and descriptors: RSS at idle, then RSS and open descriptors after 10,000 check runs
// while the broker flaps down and up.
//
//   npm run build && npx tsx bench/memory.ts [--runs 10000]
//
// The agent runs every 20ms (timeout 15ms) beside broker 1 of a mock cluster that this script
// takes down and brings back every 500ms, so runs alternate between answers, refused connects
// and redials. RSS and descriptors come from /proc of the agent process.
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { MockCluster } from '../test/helpers/mock-cluster'
import { cpuModel, metric, openFds, rssMiB, startAgent } from './lib'

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: false, options: { runs: { type: 'string', default: '10000' } } })
  const target = Number(values.runs)
  const cluster = await MockCluster.start(3)
  const idleAgent = await startAgent(['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1'])
  await sleep(15_000)
  const idle = { rss: rssMiB(idleAgent.pid), fds: openFds(idleAgent.pid) }
  idleAgent.proc.kill('SIGKILL')

  const agent = await startAgent(['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--interval', '20ms', '--timeout', '15ms', '--failure-threshold', '1'])
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
  const before = { runs: await runs(), rss: rssMiB(agent.pid), fds: openFds(agent.pid) }
  const samples: number[] = []
  while (await runs() < before.runs + target) {
    await sleep(2000)
    samples.push(rssMiB(agent.pid))
  }
  state.flapping = false
  await flap
  const after = { runs: await runs(), rss: rssMiB(agent.pid), fds: openFds(agent.pid) }
  const failures = await metric(agent.port, 'kafka_healthz_check_runs_total', 'result="failure"')
  agent.proc.kill('SIGKILL')
  await cluster.stop()

  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}`)
  console.log('| measurement | RSS (MiB) | open descriptors |')
  console.log('|---|---|---|')
  console.log(`| idle, defaults, 15 s after start | ${idle.rss.toFixed(1)} | ${idle.fds} |`)
  console.log(`| flapping, after 1,000 warm-up runs | ${before.rss.toFixed(1)} | ${before.fds} |`)
  console.log(`| flapping, after ${after.runs - before.runs} more runs (${failures} failed runs in all) | ${after.rss.toFixed(1)} | ${after.fds} |`)
  console.log(`\nRSS during the flapping runs, sampled every 2 s: min ${Math.min(...samples).toFixed(1)}, max ${Math.max(...samples).toFixed(1)} MiB`)
}

void main()
