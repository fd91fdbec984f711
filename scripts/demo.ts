// The README's first command: a 3-broker mock Kafka cluster (librdkafka, real protocol) and the
// agent beside broker 1, with a prompt to inject faults and watch the probes flip.
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { createInterface } from 'node:readline'
import { MockCluster } from '../test/helpers/mock-cluster'

const PORT = process.env.HEALTHZ_PORT ?? '18090'

async function main (): Promise<void> {
  const cluster = await MockCluster.start(3)
  const agent = spawn(process.execPath, [
    resolve(__dirname, '..', 'dist', 'cli.js'),
    '--kafka-brokers', cluster.address(1),
    '--kafka-broker-id', '1',
    '--min-brokers', '3',
    '--interval', '2s', '--timeout', '1s',
    '--shutdown-delay', '1s',
    '--host', '127.0.0.1',
  ], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, HEALTHZ_PORT: PORT } })

  const stop = async (): Promise<void> => {
    agent.kill('SIGTERM')
    await new Promise((r) => agent.once('exit', r))
    await cluster.stop()
    process.exit(0)
  }
  agent.once('exit', (code) => {
    console.error(`agent exited (${code ?? 'signal'})`)
    void cluster.stop().then(() => process.exit(code ?? 1))
  })
  process.once('SIGINT', () => { void stop() })
  process.once('SIGTERM', () => { void stop() })

  const base = `http://127.0.0.1:${PORT}`
  console.log(`
kafka-healthz demo
  mock Kafka cluster: ${cluster.addresses.map((a, i) => `broker ${i + 1} at ${a}`).join(', ')}
  agent:              ${base}, watching broker 1 (min 3 brokers, checks every 2s, 1s timeout)

In another terminal:
  curl -i ${base}/readyz?verbose
  curl -i ${base}/livez
  curl -s ${base}/status
  curl -s ${base}/metrics | grep ^kafka_healthz
  node dist/cli.js check --kafka-brokers ${cluster.address(1)} --kafka-broker-id 1; echo "exit $?"

Type here to inject faults, then curl again (a verdict flips within timeout + interval x 2):
  down 1 / up 1         broker 1 refuses connections / comes back
  rtt 1 3000 / rtt 1 0  broker 1 answers slower than the timeout / normally again
  freeze / thaw         SIGSTOP / SIGCONT the whole cluster: open sockets, no answers
  quit                  (or Ctrl-C)
`)

  const rl = createInterface({ input: process.stdin })
  for await (const raw of rl) {
    const line = raw.trim()
    try {
      if (line === '') continue
      else if (line === 'quit') break
      else if (line === 'freeze') cluster.freeze()
      else if (line === 'thaw') cluster.thaw()
      else await cluster.command(line)
      console.log(`> ${line}: done`)
    } catch (err) {
      console.log(`> ${err instanceof Error ? err.message : String(err)}`)
    }
  }
  // Without a terminal (stdin closed at once) keep serving until a signal arrives.
  if (process.stdin.isTTY) await stop()
}

void main()
