// The README's first command: a 3-broker mock Kafka cluster (librdkafka, real protocol), a Kafka
// Connect REST stand-in with a few connectors, and the agent watching broker 1 and the worker,
// with a prompt to inject faults and watch the probes flip.
import { spawn } from 'node:child_process'
import { mkdirSync, openSync } from 'node:fs'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { ConnectStandIn } from '../test/helpers/connect-stand-in'
import { MockCluster } from '../test/helpers/mock-cluster'

const PORT = process.env.HEALTHZ_PORT ?? '18090'
const LOG = resolve(__dirname, '..', '.cache', 'demo-agent.log')

/** Says so plainly, naming the override, when something else already listens on the port. */
async function portFree (port: number): Promise<boolean> {
  return await new Promise((resolve) => {
    const probe = createServer()
    probe.once('error', () => { resolve(false) })
    probe.listen(port, '127.0.0.1', () => { probe.close(() => { resolve(true) }) })
  })
}

const FAULTS = `  pause orders-sink / resume orders-sink / fail orders-sink
  health starting|unhealthy|hang|healthy   the worker's /health answer (hang = a zombie worker)
  down 1 / up 1         broker 1 refuses connections / comes back
  rtt 1 3000 / rtt 1 0  broker 1 answers slower than the timeout / normally again
  freeze / thaw         SIGSTOP / SIGCONT the whole cluster: open sockets, no answers
  help                  this list
  quit                  (or Ctrl-C)`

async function main (): Promise<void> {
  if (!await portFree(Number(PORT))) {
    console.error(`port ${PORT} is already in use (another demo or agent?). Pick another: HEALTHZ_PORT=18091 bash scripts/demo.sh`)
    process.exit(1)
  }
  const cluster = await MockCluster.start(3)
  const connect = await new ConnectStandIn('127.0.0.1:8083').start()
  connect.add('orders-sink', { tasks: 2 })
  connect.add('audit-source', { tasks: 1 })
  connect.add('s3-archive', { tasks: 3 })
  const agent = spawn(process.execPath, [
    resolve(__dirname, '..', 'dist', 'cli.js'),
    '--kafka-brokers', cluster.address(1),
    '--kafka-broker-id', '1',
    '--min-brokers', '3',
    '--connect-url', connect.url,
    '--interval', '2s', '--timeout', '1s',
    '--shutdown-delay', '1s',
    '--host', '127.0.0.1',
  ], { stdio: ['ignore', logFile(), logFile()], env: { ...process.env, HEALTHZ_PORT: PORT } })

  let stopping = false
  const stop = async (): Promise<void> => {
    stopping = true
    agent.kill('SIGTERM')
    await new Promise((r) => agent.once('exit', r))
    await cluster.stop()
    await connect.stop()
    process.exit(0)
  }
  agent.once('exit', (code) => {
    if (stopping) return
    console.error(`agent exited (${code ?? 'signal'}); its log: ${LOG}`)
    void cluster.stop().then(() => process.exit(code ?? 1))
  })
  process.once('SIGINT', () => { void stop() })
  process.once('SIGTERM', () => { void stop() })

  const base = `http://127.0.0.1:${PORT}`
  console.log(`
kafka-healthz demo
  mock Kafka cluster: ${cluster.addresses.map((a, i) => `broker ${i + 1} at ${a}`).join(', ')}
  Connect stand-in:   ${connect.url} with orders-sink, audit-source, s3-archive
  agent:              ${base}, watching broker 1 (min 3 brokers) and the worker (checks every 2s, 1s timeout)
  agent log:          tail -f ${LOG}   (kept out of this prompt's way)

In another terminal:
  curl -i ${base}/readyz?verbose
  curl -i ${base}/livez
  curl -s ${base}/status
  curl -i ${base}/connectors/orders-sink
  curl -s ${base}/metrics | grep ^kafka_healthz
  node dist/cli.js check --kafka-brokers ${cluster.address(1)} --kafka-broker-id 1; echo "exit $?"

Pause a connector (a paused connector still shows in the worker's status), watch /readyz turn 503 naming it, then resume it:
  curl -i -X PUT ${connect.url}/connectors/orders-sink/pause
  curl -i ${base}/readyz?verbose
  curl -i -X PUT ${connect.url}/connectors/orders-sink/resume

Or type here to inject faults, then curl again (a verdict flips within timeout + interval x 2):
${FAULTS}
`)

  const rl = createInterface({ input: process.stdin })
  let quit = false
  for await (const raw of rl) {
    const line = raw.trim()
    try {
      if (line === '') continue
      else if (line === 'quit') { quit = true; break } else if (line === 'help') { console.log(FAULTS); continue }
      else if (line === 'freeze') cluster.freeze()
      else if (line === 'thaw') cluster.thaw()
      else if (/^(pause|resume) \S+$/.test(line)) {
        const [verb = '', name = ''] = line.split(' ')
        connect.setState(name, verb === 'pause' ? 'PAUSED' : 'RUNNING')
        for (const task of connect.connectors.get(name)?.tasks ?? []) task.state = verb === 'pause' ? 'PAUSED' : 'RUNNING'
      } else if (/^fail \S+$/.test(line)) connect.setTask(line.slice(5), 0, 'FAILED', 'org.apache.kafka.connect.errors.ConnectException: demo failure')
      else if (/^health (healthy|starting|unhealthy|hang)$/.test(line)) connect.health = line.slice(7) as ConnectStandIn['health']
      else await cluster.command(line)
      console.log(`> ${line}: done`)
    } catch (err) {
      console.log(`> ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  // quit stops, from a terminal or a pipe (echo quit | …). Without it, stdin closing (as with
  // </dev/null) keeps the demo serving until a signal arrives; from a terminal, ^D stops it.
  if (quit || process.stdin.isTTY) await stop()
}

function logFile (): number {
  mkdirSync(resolve(LOG, '..'), { recursive: true })
  return openSync(LOG, 'a')
}

void main()
