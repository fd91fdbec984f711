// Memory on big clusters: RSS of the agent over time beside a broker of a cluster with many
// partitions (the in-sync check reads every partition each run), and beside a Connect worker
// with many connectors whose status body changes every run.
//
//   npm run build && npx tsx bench/big-cluster.ts [--partitions 100000] [--connectors 85000]
//        [--seconds 60] [--node-options="--max-semi-space-size=4"]
//
// The agent runs with default settings (interval 5s) but for the options named; RSS comes from
// /proc every second after the first run. Each row starts a fresh agent.
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { ConnectStandIn } from '../test/helpers/connect-stand-in'
import { MockCluster } from '../test/helpers/mock-cluster'
import { request } from 'undici'
import { cpuModel, metric, rssMiB, startAgent } from './lib'

interface Row { what: string, min: number, median: number, max: number, last: number, runs: number, failed: number, verdict: string }

async function sample (what: string, args: string[], check: string, seconds: number, nodeOptions: string): Promise<Row> {
  const agent = await startAgent(args, { nodeOptions })
  try {
    while (await metric(agent.port, 'kafka_healthz_check_runs_total', `check="${check}"`) < 1) await sleep(200)
    const rss: number[] = []
    for (let i = 0; i < seconds; i++) {
      await sleep(1000)
      rss.push(rssMiB(agent.pid))
    }
    const runs = await metric(agent.port, 'kafka_healthz_check_runs_total', `check="${check}"`)
    const failed = await metric(agent.port, 'kafka_healthz_check_runs_total', `check="${check}",result="failure"`)
    // What the runs said (a verdict such as CONNECTOR_FAILED, or TIMEOUT if the agent could not keep up).
    const verdict = (await (await request(`http://127.0.0.1:${agent.port}/readyz/${check}`)).body.text()).split('\n', 1)[0]?.slice(0, 60) ?? ''
    const sorted = [...rss].sort((a, b) => a - b)
    return { what, min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0, last: rss.at(-1) ?? 0, runs, failed, verdict }
  } finally {
    agent.proc.kill('SIGKILL')
  }
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    strict: true,
    options: {
      partitions: { type: 'string', default: '100000' },
      connectors: { type: 'string', default: '85000' },
      seconds: { type: 'string', default: '60' },
      'node-options': { type: 'string', default: '' },
    },
  })
  const partitions = Number(values.partitions)
  const connectors = Number(values.connectors)
  const seconds = Number(values.seconds)
  const nodeOptions = values['node-options']
  const rows: Row[] = []

  if (partitions > 0) {
    const cluster = await MockCluster.start(3)
    const perTopic = 100
    for (let i = 0; i < Math.ceil(partitions / perTopic); i++) await cluster.topic(`t${i}`, perTopic, 3)
    rows.push(await sample(`broker, ${partitions.toLocaleString('en')} partitions (in-sync on)`, ['--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1'], 'in-sync', seconds, nodeOptions))
    await cluster.stop()
  }
  if (connectors > 0) {
    const w = await new ConnectStandIn().start()
    for (let i = 0; i < connectors; i++) w.add(`connector-${i}`, { tasks: 1 })
    let flip = 0
    // A different connector changes state before every answer: the body is never the same twice.
    // Half of them end up FAILED, so the runs fail with CONNECTOR_FAILED: a verdict, not an error.
    w.beforeList = () => { flip++; w.setTask(`connector-${flip % connectors}`, 0, flip % 2 === 0 ? 'RUNNING' : 'FAILED', 'java.lang.Exception: x') }
    rows.push(await sample(`Connect, ${connectors.toLocaleString('en')} connectors x 1 task, body changes every run`, ['--connect-url', w.url, '--connect-max-body-bytes', String(256 * 1024 * 1024)], 'connectors', seconds, nodeOptions))
    await w.stop()
  }

  console.log(`${new Date().toISOString().slice(0, 10)}, ${cpuModel()} (2 vCPU), Node ${process.versions.node}${nodeOptions === '' ? '' : `, NODE_OPTIONS=${nodeOptions}`}`)
  console.log('| agent beside | runs (failed) | last verdict | RSS MiB min | median | max | last |')
  console.log('|---|---|---|---|---|---|---|')
  for (const r of rows) console.log(`| ${r.what} | ${r.runs} (${r.failed}) | ${r.verdict} | ${r.min.toFixed(0)} | ${r.median.toFixed(0)} | ${r.max.toFixed(0)} | ${r.last.toFixed(0)} |`)
}

void main()
