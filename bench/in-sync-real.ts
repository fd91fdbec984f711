// The in-sync check's cost against a real Apache Kafka broker holding 10,000 partitions (issue 12,
// item 7): a 3-node KRaft cluster (the first version in test/real/kafka-versions), 100 topics of
// 100 partitions, replication factor 3, so broker 1 replicates all 10,000.
//
//   npm run build && npx tsx bench/in-sync-real.ts [--seconds 30] [--topics 100] [--partitions 100]
//
// A fresh agent beside broker 1, default interval (5 s) and timeout (3 s): the in-sync run's
// mean duration and the agent's CPU per cycle with the check on, then with --in-sync=false in
// the same cluster state. Then the requests it sends: a third agent at --log-level debug, whose
// kafkajs request lines are counted over the same runs.
import { parseArgs } from 'node:util'
import { kafkaVersions, RealKafkaCluster } from '../test/helpers/real-kafka'
import { costPerRun, countRequests, cpuModel, metric, startAgent } from './lib'

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: true, options: { seconds: { type: 'string', default: '30' }, topics: { type: 'string', default: '100' }, partitions: { type: 'string', default: '100' } } })
  const seconds = Number(values.seconds)
  const topics = Number(values.topics)
  const perTopic = Number(values.partitions)
  const version = kafkaVersions()[0] ?? ''
  const cluster = await RealKafkaCluster.start(version, { heapMb: 768 })
  const rows: string[] = []
  let requests = ''
  try {
    const admin = cluster.kafka().admin()
    await admin.connect()
    for (let i = 0; i < topics; i += 10) {
      await admin.createTopics({ topics: Array.from({ length: Math.min(10, topics - i) }, (_, j) => ({ topic: `bench-${i + j}`, numPartitions: perTopic, replicationFactor: 3 })), waitForLeaders: false, timeout: 120_000 })
    }
    // Every partition with a leader and a full ISR before measuring.
    for (const started = Date.now(); ;) {
      const meta = await admin.fetchTopicMetadata({ topics: Array.from({ length: topics }, (_, i) => `bench-${i}`) }).catch(() => undefined)
      const parts = meta?.topics.flatMap((t) => t.partitions) ?? []
      if (parts.length === topics * perTopic && parts.every((p) => p.leader >= 0 && p.isr.length === 3)) break
      if (Date.now() - started > 300_000) throw new Error(`partitions not all led and in sync after 5 min (${parts.length})`)
      await new Promise((resolve) => setTimeout(resolve, 2000))
    }
    await admin.disconnect()
    const base = ['--kafka-brokers', cluster.node(1).address, '--kafka-broker-id', '1']
    const on = await startAgent(base)
    const a = await costPerRun(on, 'in-sync', seconds)
    const failures = await metric(on.port, 'kafka_healthz_check_runs_total', 'check="in-sync",result="failure"')
    const partitions = await metric(on.port, 'kafka_healthz_kafka_partitions')
    on.proc.kill('SIGKILL')
    const off = await startAgent([...base, '--in-sync=false'])
    const b = await costPerRun(off, 'registered', seconds)
    off.proc.kill('SIGKILL')
    requests = await countRequests(base, 20, 'in-sync')
    rows.push(`| ${partitions.toLocaleString('en')} partitions (${topics} topics x ${perTopic}, RF 3) | ${a.runs} (${failures} failed) | ${a.meanDurationMs.toFixed(1)} | ${a.cpuMsPerRun.toFixed(2)} | ${b.cpuMsPerRun.toFixed(2)} | ${(a.cpuMsPerRun - b.cpuMsPerRun).toFixed(2)} |`)
  } finally {
    await cluster.stop()
  }
  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, Apache Kafka ${version}, ${seconds}s per agent, interval 5s, timeout 3s`)
  console.log('| cluster | in-sync runs | in-sync mean run (ms) | agent CPU per cycle, in-sync on (ms) | in-sync off (ms) | in-sync cost (ms CPU) |')
  console.log('|---|---|---|---|---|---|')
  for (const r of rows) console.log(r)
  console.log(`\nRequests the agent sent to broker 1 in 20 s (debug log): ${requests}`)
}


void main()
