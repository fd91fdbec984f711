// Upstream load: how many calls the agent makes to Connect per minute, by connector count and
// probe rate.
//
//   npm run build && npx tsx bench/upstream.ts [--connectors 500] [--rate 2000] [--seconds 60] [agent args...]
//
// Starts the Connect REST stand-in with N connectors (2 tasks each) and the built agent with its
// default interval (5s) unless agent args say otherwise, holds a fixed probe rate on /readyz with
// autocannon (0 = no probes), and counts the requests the stand-in received during the window.
import autocannon from 'autocannon'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { freePort, waitHttp } from '../test/helpers/cli'
import { ConnectStandIn } from '../test/helpers/connect-stand-in'

async function main (): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    strict: false,
    options: { connectors: { type: 'string', default: '500' }, rate: { type: 'string', default: '0' }, seconds: { type: 'string', default: '60' } },
  })
  const connectors = Number(values.connectors)
  const rate = Number(values.rate)
  const seconds = Number(values.seconds)
  const agentArgs = positionals

  const worker = await new ConnectStandIn().start()
  for (let i = 0; i < connectors; i++) worker.add(`connector-${i}`, { tasks: 2 })
  const port = await freePort()
  const agent = spawn(process.execPath, [resolve(__dirname, '..', 'dist', 'cli.js'), '--connect-url', worker.url, '--host', '127.0.0.1', '--log-level', 'warn', ...agentArgs],
    { env: { PATH: process.env.PATH, HEALTHZ_PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] })
  try {
    await waitHttp(port, '/readyz', 200, 60_000)
    await sleep(1000)
    const before = { all: worker.requests.length, list: worker.count('/connectors'), health: worker.count('/health') }
    const started = Date.now()
    let probes = 0
    let non2xx = 0
    if (rate > 0) {
      const result = await autocannon({ url: `http://127.0.0.1:${port}/readyz`, connections: 20, overallRate: rate, duration: seconds })
      probes = result.requests.total
      non2xx = result.non2xx
    } else {
      await sleep(seconds * 1000)
    }
    const minutes = (Date.now() - started) / 60_000
    const per = (n: number): string => (n / minutes).toFixed(1)
    const list = worker.count('/connectors') - before.list
    const health = worker.count('/health') - before.health
    const all = worker.requests.length - before.all
    console.log('| connectors | probe rate (req/s) | probes served | non-2xx | window (s) | GET /connectors per min | GET /health per min | all Connect calls per min |')
    console.log('|---|---|---|---|---|---|---|---|')
    console.log(`| ${connectors} | ${rate} | ${probes} | ${non2xx} | ${(minutes * 60).toFixed(0)} | ${per(list)} | ${per(health)} | ${per(all)} |`)
  } finally {
    agent.kill('SIGKILL')
    await worker.stop()
  }
}

void main()
