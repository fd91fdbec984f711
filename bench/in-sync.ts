// The in-sync check's cost on a big cluster: it reads every partition's ISR (one Metadata
// request for all topics), so unlike the other broker checks its cost grows with partitions.
//
//   npm run build && npx tsx bench/in-sync.ts [--seconds 20]
//
// A 3-broker mock cluster; the agent beside broker 1 runs with the default interval (5 s) and timeout (3 s)
// (the default timeout). Rows: no topics; one topic of 10,000 partitions; 1,000 topics of 10
// partitions. For each: the in-sync run's mean duration (from the agent's histogram), the
// agent's CPU per cycle with the in-sync check on, and the same with --in-sync=false, in the
// same cluster state, one after the other. The mock answers no DescribeConfigs, so
// min.insync.replicas comes from the option here; a real broker adds one DescribeConfigs
// request, at most once a minute (cached).
import { parseArgs } from 'node:util'
import { MockCluster } from '../test/helpers/mock-cluster'
import { costPerRun, cpuModel, metric, startAgent } from './lib'


async function main (): Promise<void> {
  const { values } = parseArgs({ strict: false, options: { seconds: { type: 'string', default: '20' } } })
  const seconds = Number(values.seconds)
  const cluster = await MockCluster.start(3)
  const rows: string[] = []
  const base = ['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--interval', '5s', '--timeout', '3s']

  async function row (label: string): Promise<void> {
    const on = await startAgent(base)
    const a = await costPerRun(on, 'in-sync', seconds)
    const failures = await metric(on.port, 'kafka_healthz_check_runs_total', 'check="in-sync",result="failure"')
    on.proc.kill('SIGKILL')
    const off = await startAgent([...base, '--in-sync=false'])
    const b = await costPerRun(off, 'registered', seconds)
    off.proc.kill('SIGKILL')
    rows.push(`| ${label} | ${a.runs} (${failures} failed) | ${a.meanDurationMs.toFixed(1)} | ${a.cpuMsPerRun.toFixed(2)} | ${b.cpuMsPerRun.toFixed(2)} | ${(a.cpuMsPerRun - b.cpuMsPerRun).toFixed(2)} |`)
  }

  await row('no topics')
  await cluster.topic('big', 10_000, 3)
  await row('1 topic, 10,000 partitions')
  for (let i = 0; i < 1000; i++) await cluster.topic(`t${i}`, 10, 3)
  await row('+ 1,000 topics x 10 partitions (20,000 in all)')
  await cluster.stop()

  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, ${seconds}s per agent, interval 5s, timeout 3s`)
  console.log('| cluster | in-sync runs | in-sync mean run (ms) | agent CPU per cycle, in-sync on (ms) | in-sync off (ms) | in-sync cost (ms CPU) |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
}

void main()
