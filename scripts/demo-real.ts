// `bash scripts/demo.sh --real`: the demo against real Apache Kafka instead of the mock: a
// 3-node KRaft cluster and a Kafka Connect worker, as JVMs from the jars scripts/setup.sh
// fetched (the first version in test/real/kafka-versions, or REAL_KAFKA_VERSIONS), two
// connectors (Kafka's own test connectors), and the agent beside broker 1 and the worker.
import { spawn } from 'node:child_process'
import { mkdirSync, openSync } from 'node:fs'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { kafkaVersions, missingPrerequisite, RealKafkaCluster } from '../test/helpers/real-kafka'

const PORT = process.env.HEALTHZ_PORT ?? '18090'
const LOG = resolve(__dirname, '..', '.cache', 'demo-agent.log')
const HELP = `  kill 2 / start 2       SIGKILL broker 2 / start it again
  freeze 2 / thaw 2      SIGSTOP / SIGCONT broker 2 (try broker 1: the agent's own)
  pause orders-sink / resume orders-sink / stop orders-sink   through the worker's REST API
  help                   this list
  quit                   (or Ctrl-C)`

async function main (): Promise<void> {
  const version = kafkaVersions()[0] ?? ''
  const problem = missingPrerequisite(version)
  if (problem !== undefined) {
    console.error(`cannot start Apache Kafka ${version}: ${problem}\nrun: bash scripts/setup.sh`)
    process.exit(1)
  }
  console.log(`starting Apache Kafka ${version}: 3 KRaft nodes and a Connect worker (about a minute)...`)
  const cluster = await RealKafkaCluster.start(version)
  const [worker] = await cluster.startConnect(1)
  if (worker === undefined) throw new Error('no Connect worker')
  for (const [name, config] of Object.entries({
    'orders-sink': { 'connector.class': 'org.apache.kafka.connect.tools.MockSinkConnector', topics: 'orders', 'tasks.max': '1' },
    'audit-source': { 'connector.class': 'org.apache.kafka.connect.tools.MockSourceConnector', topic: 'audit', 'tasks.max': '1' },
  })) await worker.rest('PUT', `/connectors/${name}/config`, config)

  mkdirSync(resolve(LOG, '..'), { recursive: true })
  const log = openSync(LOG, 'a')
  const agent = spawn(process.execPath, [resolve(__dirname, '..', 'dist', 'cli.js'),
    '--kafka-brokers', cluster.node(1).address, '--kafka-broker-id', '1', '--min-brokers', '3',
    '--connect-url', worker.url, '--interval', '2s', '--timeout', '1s', '--shutdown-delay', '1s', '--host', '127.0.0.1',
  ], { stdio: ['ignore', log, log], env: { ...process.env, HEALTHZ_PORT: PORT } })
  let stopping = false
  const stop = async (): Promise<void> => {
    stopping = true
    agent.kill('SIGTERM')
    await new Promise((r) => agent.once('exit', r))
    await cluster.stop()
    process.exit(0)
  }
  agent.once('exit', (code) => {
    if (stopping) return
    console.error(`agent exited (${code ?? 'signal'}); its log: ${LOG}`)
    void cluster.stop().then(() => process.exit(1))
  })
  process.once('SIGINT', () => { void stop() })
  process.once('SIGTERM', () => { void stop() })

  const base = `http://127.0.0.1:${PORT}`
  console.log(`
kafka-healthz demo against Apache Kafka ${version}
  brokers:        ${cluster.nodes.map((n) => `${n.id} at ${n.address}`).join(', ')}
  Connect worker: ${worker.url} with orders-sink, audit-source
  agent:          ${base}, beside broker 1 and the worker (checks every 2s, 1s timeout)
  agent log:      tail -f ${LOG}

In another terminal:
  curl -i ${base}/readyz?verbose
  curl -s '${base}/status?pretty'
  curl -i ${base}/connectors/orders-sink

Type here:
${HELP}
`)
  const rl = createInterface({ input: process.stdin })
  let quit = false
  for await (const raw of rl) {
    const line = raw.trim()
    try {
      const [verb = '', arg = ''] = line.split(/\s+/)
      if (line === '') continue
      else if (verb === 'quit') { quit = true; break } else if (verb === 'help') console.log(HELP)
      else if (verb === 'kill') await cluster.node(Number(arg)).jvm.kill()
      else if (verb === 'start') cluster.restart(Number(arg))
      else if (verb === 'freeze') cluster.node(Number(arg)).jvm.signal('SIGSTOP')
      else if (verb === 'thaw') cluster.node(Number(arg)).jvm.signal('SIGCONT')
      else if (['pause', 'resume', 'stop'].includes(verb)) console.log(`> worker answered ${(await worker.rest('PUT', `/connectors/${encodeURIComponent(arg)}/${verb}`)).status}`)
      else { console.log(`> unknown command; type help`); continue }
      console.log(`> ${line}: done`)
    } catch (err) {
      console.log(`> ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  if (quit || process.stdin.isTTY) await stop()
}

void main()
