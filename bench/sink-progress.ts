// The cost of one sink-progress sample against a real broker (issue 14): 50 sink connectors, each
// with its own group and topic of 10 partitions, 500 partitions in all, on a 1-node KRaft cluster
// (the first version in test/real/kafka-versions). The check runs in this process against the
// real kafkajs offsets client (the Connect side is a fake: its cost is the connectors check's,
// measured in BENCHMARKS.md already).
//
//   npx tsx bench/sink-progress.ts [--samples 30] [--connectors 50] [--partitions 10]
//
// Prints the requests per sample by Kafka API, the mean sample duration, and the CPU per sample
// (user + system of this process, after 5 warm-up samples).
import { parseArgs } from 'node:util'
import { progressCheck } from '../src/connect/progress'
import type { ConnectorVerdict } from '../src/connect/evaluate'
import { createKafkajsOffsetsClient } from '../src/kafka/seam'
import { createLogger } from '../src/log/logger'
import { kafkaVersions, RealKafkaCluster } from '../test/helpers/real-kafka'
import { cpuModel } from './lib'

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: true, options: { samples: { type: 'string', default: '30' }, connectors: { type: 'string', default: '50' }, partitions: { type: 'string', default: '10' } } })
  const samples = Number(values.samples)
  const n = Number(values.connectors)
  const perTopic = Number(values.partitions)
  const version = kafkaVersions()[0] ?? ''
  const cluster = await RealKafkaCluster.start(version, {
    nodes: 1,
    heapMb: 512,
    brokerProps: { 'offsets.topic.replication.factor': 1, 'default.replication.factor': 1, 'min.insync.replicas': 1, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 },
  })
  try {
    const kafka = cluster.kafka()
    const admin = kafka.admin()
    await admin.connect()
    const names = Array.from({ length: n }, (_, i) => `sink-${i}`)
    await admin.createTopics({ topics: names.map((name) => ({ topic: `${name}-topic`, numPartitions: perTopic, replicationFactor: 1 })), waitForLeaders: true, timeout: 120_000 })
    const producer = kafka.producer()
    await producer.connect()
    for (const name of names) {
      // Leaders of new topics take a moment to be known everywhere: retry a refused send.
      for (let attempt = 1; ; attempt++) {
        try {
          await producer.send({ topic: `${name}-topic`, messages: Array.from({ length: perTopic * 4 }, (_, i) => ({ partition: i % perTopic, value: 'x' })) })
          break
        } catch (err) {
          if (attempt >= 10) throw err
          await new Promise((resolve) => setTimeout(resolve, 500))
        }
      }
    }
    await producer.disconnect()
    // Each group has committed half of what its topic holds: lag 2 per partition.
    for (const name of names) {
      await admin.setOffsets({ groupId: `connect-${name}`, topic: `${name}-topic`, partitions: Array.from({ length: perTopic }, (_, partition) => ({ partition, offset: '2' })) })
    }
    await admin.disconnect()

    const byApi = new Map<string, number>()
    const offsets = createKafkajsOffsetsClient({
      access: { brokers: cluster.bootstrap.split(','), clientId: 'bench', tls: undefined, sasl: undefined },
      timeoutMs: 5000,
      logger: createLogger('silent'),
      onRequest: (api) => { byApi.set(api, (byApi.get(api) ?? 0) + 1) },
    })
    const verdicts = names.map((name): ConnectorVerdict => ({ name, healthy: true, reason: 'OK', problems: [], state: 'RUNNING', workerId: 'w:8083', type: 'sink', tasks: [] }))
    const configs = new Map(names.map((name) => [name, { group: `connect-${name}`, topics: [`${name}-topic`] }]))
    let clock = 0
    const check = progressCheck({
      offsets,
      client: { sinkConfigs: async () => await Promise.resolve(configs) },
      connectors: () => verdicts,
      target: { access: { brokers: [], clientId: '', tls: undefined, sasl: undefined }, policy: 'status', window: 10, every: 1, exclude: [], allowedLag: 0 },
      now: () => (clock += 5000),
      timeoutMs: 5000,
    })
    const run = async (): Promise<string> => {
      const r = await check.run(new AbortController().signal)
      // Nothing consumes these groups: STALLED/STOPPED is the right verdict; a failed sample is not.
      if (r.reason.startsWith('PROGRESS_') || r.reason === 'TIMEOUT') throw new Error(`sample failed: ${r.reason}: ${r.message}`)
      return `${r.reason}: ${r.message.slice(0, 80)}…`
    }
    for (let i = 0; i < 5; i++) await run()
    const connectApis = new Map(byApi)
    byApi.clear()
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    let message = ''
    for (let i = 0; i < samples; i++) message = await run()
    const wall = (performance.now() - t0) / samples
    const cpu = process.cpuUsage(cpu0)
    await offsets.close()
    const perSample = [...byApi].sort().map(([api, c]) => `${api} ${(c / samples).toFixed(1)}`).join(', ')
    const total = [...byApi.values()].reduce((a, b) => a + b, 0) / samples
    console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}, Apache Kafka ${version} (1 broker), ${samples} samples after 5 warm-up`)
    console.log(`${n} sink connectors x ${perTopic} partitions = ${n * perTopic} partitions; last verdict: ${message}`)
    console.log(`requests per sample: ${total.toFixed(1)} (${perSample}); warm-up and connection set-up: ${[...connectApis].map(([a, c]) => `${a} ${c}`).join(', ')}`)
    console.log(`mean sample: ${wall.toFixed(1)} ms wall, ${((cpu.user + cpu.system) / 1000 / samples).toFixed(2)} ms CPU (user ${(cpu.user / 1000 / samples).toFixed(2)}, system ${(cpu.system / 1000 / samples).toFixed(2)})`)
  } finally {
    await cluster.stop()
  }
}

void main()
