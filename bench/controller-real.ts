// The cost of one controller run (issue 15): an agent beside a real KRaft controller (3
// dedicated controllers and 1 broker, the first version in test/real/kafka-versions).
//
//   npm run build && npx tsx bench/controller-real.ts [--seconds 30]
//
// Agents at 200 ms intervals (many runs in little time) beside a follower and beside the leader:
// the agent's CPU per cycle (controller-reachable + quorum, idle overhead included) and the
// quorum run's mean duration. Then the requests: an agent at --log-level debug beside the
// follower at the default 5 s interval, whose kafkajs request lines are counted by API.
import { parseArgs } from 'node:util'
import { kafkaVersions, RealKafkaCluster } from '../test/helpers/real-kafka'
import { costPerRun, countRequests, cpuModel, metric, startAgent } from './lib'

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: true, options: { seconds: { type: 'string', default: '30' } } })
  const seconds = Number(values.seconds)
  const version = kafkaVersions()[0] ?? ''
  const cluster = await RealKafkaCluster.start(version, { controllers: 3, nodes: 1 })
  const rows: string[] = []
  let requests = ''
  try {
    const args = (id: number): string[] => ['--kafka-controller', cluster.node(id).address, '--kafka-controller-id', String(id)]
    // Who leads: ask an agent once.
    const probe = await startAgent([...args(1), '--interval', '200ms', '--timeout', '150ms'])
    await new Promise((r) => setTimeout(r, 3000))
    const leader = await metric(probe.port, 'kafka_healthz_quorum_leader_id')
    probe.proc.kill('SIGKILL')
    const follower = [1, 2, 3].find((id) => id !== leader) ?? 1
    for (const [what, id] of [['a follower', follower], ['the leader', leader]] as const) {
      const agent = await startAgent([...args(id), '--interval', '200ms', '--timeout', '150ms'])
      const r = await costPerRun(agent, 'quorum', seconds)
      const failures = await metric(agent.port, 'kafka_healthz_check_runs_total', 'check="quorum",result="failure"')
      rows.push(`| beside ${what} (node ${id}) | ${r.runs} (${failures} failed) | ${r.meanDurationMs.toFixed(2)} | ${r.cpuMsPerRun.toFixed(2)} |`)
      agent.proc.kill('SIGKILL')
    }
    requests = await countRequests(args(follower), 20, 'quorum', true)
  } finally {
    await cluster.stop()
  }
  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, Apache Kafka ${version}, ${seconds}s per agent, interval 200ms, timeout 150ms`)
  console.log('| agent | quorum runs | quorum mean run (ms) | agent CPU per cycle (ms, both checks + idle) |')
  console.log('|---|---|---|---|')
  for (const r of rows) console.log(r)
  console.log(`\nRequests the agent beside a follower sent in 20 s at the default interval (debug log): ${requests}`)
}


void main()
