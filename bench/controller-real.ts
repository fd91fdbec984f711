// The cost of one controller run (issue 15): an agent beside a real KRaft controller (3
// dedicated controllers and 1 broker, the first version in test/real/kafka-versions).
//
//   npm run build && npx tsx bench/controller-real.ts [--seconds 30]
//
// Agents at 200 ms intervals (many runs in little time) beside a follower and beside the leader:
// the agent's CPU per cycle (controller-reachable + quorum, idle overhead included) and the
// quorum run's mean duration. Then the requests: an agent at --log-level debug beside the
// follower at the default 5 s interval, whose kafkajs request lines are counted by API.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import { freePort, waitHttp } from '../test/helpers/cli'
import { kafkaVersions, RealKafkaCluster } from '../test/helpers/real-kafka'
import { costPerRun, cpuModel, metric, startAgent } from './lib'

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
    requests = await countRequests(args(follower), 20)
  } finally {
    await cluster.stop()
  }
  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, Apache Kafka ${version}, ${seconds}s per agent, interval 200ms, timeout 150ms`)
  console.log('| agent | quorum runs | quorum mean run (ms) | agent CPU per cycle (ms, both checks + idle) |')
  console.log('|---|---|---|---|')
  for (const r of rows) console.log(r)
  console.log(`\nRequests the agent beside a follower sent in 20 s at the default interval (debug log): ${requests}`)
}

/** Counts the agent's kafkajs request lines by API and by listener over `seconds`, at the default interval. */
async function countRequests (base: string[], seconds: number): Promise<string> {
  const port = await freePort()
  const proc = spawn(process.execPath, [resolve(__dirname, '..', 'dist', 'cli.js'), ...base, '--host', '127.0.0.1', '--log-level', 'debug'],
    { env: { PATH: process.env.PATH, HEALTHZ_PORT: String(port) }, stdio: ['ignore', 'pipe', 'ignore'] })
  const byApi = new Map<string, number>()
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const m = /"msg":"Request (\w+)\(key/.exec(line)
    const broker = /"broker":"([^"]+)"/.exec(line)?.[1] ?? '?'
    if (m?.[1] !== undefined) byApi.set(`${m[1]} to ${broker}`, (byApi.get(`${m[1]} to ${broker}`) ?? 0) + 1)
  })
  await waitHttp(port, '/ping', 200, 30_000)
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const runs = await metric(port, 'kafka_healthz_check_runs_total', 'check="quorum"')
  proc.kill('SIGKILL')
  return `${runs} quorum runs; ${[...byApi].map(([api, n]) => `${api}: ${n}`).join(', ')}`
}

void main()
