// Check cost: the agent's own CPU time per check run, read from its /metrics
// (process_cpu_seconds_total over kafka_healthz_check_runs_total).
//
//   npm run build && npx tsx bench/check-cost.ts [--seconds 30]
//
// Connect: the REST stand-in (in this process) with 10 and with 2,000 connectors x 8 tasks; the
// agent runs every 500ms. Broker: a 3-broker mock cluster with no topic and with one topic of
// 10,000 partitions; the agent runs every 200ms. CPU per run includes the agent's idle
// overhead between runs, so the 10-connector and no-topic rows are the baselines.
import { parseArgs } from 'node:util'
import { ConnectStandIn } from '../test/helpers/connect-stand-in'
import { MockCluster } from '../test/helpers/mock-cluster'
import { costPerRun, cpuModel, startAgent } from './lib'


async function main (): Promise<void> {
  const { values } = parseArgs({ strict: false, options: { seconds: { type: 'string', default: '30' } } })
  const seconds = Number(values.seconds)
  const rows: string[] = []

  for (const [connectors, tasks, changing] of [[10, 8, false], [2000, 8, false], [2000, 8, true]] as const) {
    const w = await new ConnectStandIn().start()
    for (let i = 0; i < connectors; i++) w.add(`connector-${i}`, { tasks })
    // A worker at rest sends the same bytes every run; during a rebalance they change every run.
    // Here one task flips between RUNNING and UNASSIGNED on every list call.
    let flip = 0
    if (changing) w.beforeList = () => { w.setTask('connector-0', 0, flip++ % 2 === 0 ? 'UNASSIGNED' : 'RUNNING') }
    const agent = await startAgent(['--connect-url', w.url, '--interval', '500ms', '--timeout', '400ms'])
    const r = await costPerRun(agent, 'connectors', seconds)
    rows.push(`| Connect | ${connectors} connectors x ${tasks} tasks${changing ? ', one task changes every run' : ''} | ${r.runs} | ${r.cpuMsPerRun.toFixed(2)} | ${r.meanDurationMs.toFixed(1)} |`)
    agent.proc.kill('SIGKILL')
    await w.stop()
  }

  const cluster = await MockCluster.start(3)
  const agent = await startAgent(['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--interval', '200ms', '--timeout', '150ms'])
  const none = await costPerRun(agent, 'registered', seconds)
  rows.push(`| broker | no topics | ${none.runs} | ${none.cpuMsPerRun.toFixed(2)} | ${none.meanDurationMs.toFixed(1)} |`)
  await cluster.topic('big', 10_000, 3)
  const big = await costPerRun(agent, 'registered', seconds)
  rows.push(`| broker | 1 topic, 10,000 partitions | ${big.runs} | ${big.cpuMsPerRun.toFixed(2)} | ${big.meanDurationMs.toFixed(1)} |`)
  agent.proc.kill('SIGKILL')
  await cluster.stop()

  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, ${seconds}s per row`)
  console.log('| peer | size | runs | agent CPU per run (ms, all checks + idle) | mean run duration (ms) |')
  console.log('|---|---|---|---|---|')
  for (const r of rows) console.log(r)
}

void main()
