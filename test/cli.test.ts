// The built entry point, as a pod runs it: exit codes, one-shot mode, logs and SIGTERM handling.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, get, runCli, startCli, waitHttp } from './helpers/cli'
import { MockCluster } from './helpers/mock-cluster'

let cluster: MockCluster
t.before(async () => { cluster = await MockCluster.start(3) })
t.teardown(async () => { await cluster.stop() })

t.test('bad config: exit 2 and one line naming the option, no stack trace', async (t) => {
  const r = await runCli(['--kafka-brokers', 'localhost:9092', '--interval', 'soon'])
  t.equal(r.code, 2)
  t.equal(r.stderr, 'kafka-healthz: --interval: got "soon", expected a duration like 250ms, 5s, 1m or 1h30m (at least 10ms, at most 24h)\n')
  t.equal(r.stdout, '')
  const env = await runCli([], { HEALTHZ_KAFKA_BROKERS: 'localhost:9092', HEALTHZ_MIN_BROKERS: '-1' })
  t.equal(env.code, 2)
  t.equal(env.stderr, 'kafka-healthz: HEALTHZ_MIN_BROKERS: got "-1", expected an integer from 1 to 10000\n')
})

t.test('--help and --version exit 0', async (t) => {
  const help = await runCli(['--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, '--kafka-brokers  HEALTHZ_KAFKA_BROKERS')
  const version = await runCli(['--version'])
  t.equal(version.code, 0)
  t.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
})

t.test('one-shot check: exit 0 when healthy, 1 with the reason when not', async (t) => {
  const ok = await runCli(['check', '--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1', '--min-brokers', '3'])
  t.equal(ok.code, 0, ok.stderr)
  t.equal(ok.stdout, '[+]reachable ok\n[+]registered ok\n[+]in-sync ok\nreadyz check passed\n')
  t.equal(ok.stderr, '', 'no log noise on success')

  const few = await runCli(['check', '--kafka-brokers', cluster.address(1), '--min-brokers', '5'])
  t.equal(few.code, 1)
  t.match(few.stdout, '[-]registered failed: TOO_FEW_BROKERS: 3 brokers in the cluster metadata, need at least 5')

  const live = await runCli(['check', '--probe', 'livez', '--kafka-brokers', cluster.address(1), '--min-brokers', '5'])
  t.equal(live.code, 0, 'livez does not look at the cluster')

  await cluster.down(2)
  const down = await runCli(['check', '--kafka-brokers', cluster.address(2), '--timeout', '500ms', '--interval', '1s'])
  t.equal(down.code, 1)
  t.match(down.stdout, /\[-\]reachable failed: KAFKA_UNREACHABLE: .*ECONNREFUSED/)
  t.notMatch(down.stdout + down.stderr, /"namespace":"Connection"|KafkaJS/, 'no kafkajs console noise')
  await cluster.up(2)
})

t.test('one-shot --wait: an init container waiting for the broker to come up', async (t) => {
  await cluster.down(3)
  const { child, exit } = startCli(['check', '--kafka-brokers', cluster.address(3), '--interval', '200ms', '--timeout', '100ms', '--wait', '20s'])
  t.teardown(() => { child.kill('SIGKILL') })
  // Heal only once it has said it is waiting, however slowly the process started.
  let said = ''
  child.stderr?.on('data', (d: Buffer) => { said += d.toString() })
  const deadline = Date.now() + 15_000
  while (!said.includes('not yet healthy, retrying') && Date.now() < deadline) await sleep(20)
  t.match(said, 'not yet healthy, retrying', 'says why it is still waiting')
  await cluster.up(3)
  const r = await exit
  t.equal(r.code, 0, r.stdout)

  await cluster.down(3)
  const started = Date.now()
  const gaveUp = await runCli(['check', '--kafka-brokers', cluster.address(3), '--interval', '200ms', '--timeout', '100ms', '--wait', '600ms'])
  t.equal(gaveUp.code, 1)
  t.ok(Date.now() - started < 5000, 'gives up after the wait')
  await cluster.up(3)
})

t.test('serve: JSON logs only, probe requests not logged at info; SIGTERM drains then exits 0', async (t) => {
  const port = await freePort()
  const { child, exit } = startCli(['--kafka-brokers', cluster.address(1), '--interval', '300ms', '--timeout', '200ms', '--shutdown-delay', '1500ms'], { HEALTHZ_PORT: String(port) })
  t.teardown(() => { child.kill('SIGKILL') })
  await waitHttp(port, '/readyz', 200)
  for (let i = 0; i < 5; i++) await get(port, '/readyz')

  child.kill('SIGTERM')
  await sleep(200)
  const ready = await get(port, '/readyz')
  t.equal(ready.status, 503)
  t.match(ready.body, '[-]shutdown failed: SHUTTING_DOWN')
  t.equal((await get(port, '/livez')).status, 200, 'liveness keeps answering during the drain')
  t.equal((await get(port, '/ping')).status, 200)

  const r = await exit
  t.equal(r.code, 0)
  const lines = r.stdout.trim().split('\n')
  for (const line of lines) t.doesNotThrow(() => JSON.parse(line), `a JSON line: ${line.slice(0, 80)}`)
  t.notMatch(r.stdout, '"url":"/readyz"', 'probe requests are not logged at info')
  t.match(r.stdout, 'shutting down: readiness fails now')
  t.match(r.stdout, 'kafka-healthz stopped')
})

t.test('ping: the image HEALTHCHECK asks the running agent for /ping', async (t) => {
  const port = await freePort()
  const env = { HEALTHZ_PORT: String(port), HEALTHZ_KAFKA_BROKERS: cluster.address(1) }
  const none = await runCli(['ping', '--timeout', '500ms'], env)
  t.equal(none.code, 1, 'nothing listens yet')
  t.match(none.stdout, `ping 127.0.0.1:${port}/ping: connect ECONNREFUSED`)

  const { child, exit } = startCli([], env)
  t.teardown(() => { child.kill('SIGKILL') })
  await waitHttp(port, '/ping', 200)
  const ok = await runCli(['ping'], env)
  t.equal(ok.code, 0, ok.stdout + ok.stderr)
  t.equal(ok.stdout, `ping 127.0.0.1:${port}/ping: ok\n`)
  child.kill('SIGTERM')
  await exit
})

t.test('a second signal exits at once', async (t) => {
  const port = await freePort()
  const { child, exit } = startCli(['--kafka-brokers', cluster.address(1), '--shutdown-delay', '30s'], { HEALTHZ_PORT: String(port) })
  t.teardown(() => { child.kill('SIGKILL') })
  await waitHttp(port, '/ping', 200)
  const started = Date.now()
  child.kill('SIGTERM')
  await sleep(200)
  child.kill('SIGTERM')
  const r = await exit
  t.ok(Date.now() - started < 5000, 'did not wait for the 30s drain')
  t.equal(r.code, 1)
})

t.test('SIGTERM while a run hangs on a frozen broker still exits 0, promptly', async (t) => {
  const port = await freePort()
  cluster.freeze() // the first run will hang on it for the whole 9s timeout
  const { child, exit } = startCli(['--kafka-brokers', cluster.address(1), '--interval', '20s', '--timeout', '9s', '--shutdown-delay', '0'], { HEALTHZ_PORT: String(port) })
  t.teardown(() => { child.kill('SIGKILL'); cluster.thaw() })
  await waitHttp(port, '/ping', 200)
  t.match((await get(port, '/readyz')).body, 'PENDING', 'the first run is still hanging')
  const started = Date.now()
  child.kill('SIGTERM')
  const r = await exit
  cluster.thaw()
  t.equal(r.code, 0, r.stdout.split('\n').filter((l) => l.includes('error')).join('\n'))
  t.ok(Date.now() - started < 4000, `exited ${Date.now() - started}ms after SIGTERM`)
})

