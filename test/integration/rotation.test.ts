// Issue 17 item 1: secrets and certificates rotate under a running pod. Files are swapped as the
// kubelet swaps a Secret volume, the peer's credentials change at the same moment, and the same
// agent must be ready again within one or two runs; a broken rotation keeps the last good files.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { BrokerError } from '../../src/kafka/client'
import type { KafkaTarget } from '../../src/config/resolve'
import { configFrom, startAgent, type TestAgent } from '../helpers/agent'
import { ConnectStandIn } from '../helpers/connect-stand-in'
import { FakeBrokerClient } from '../helpers/fakes'
import { SecretVolume } from '../helpers/secret-volume'
import { makePki } from '../helpers/tls'

const realFiles = { readFile: (p: string) => readFileSync(p, 'utf8') }

async function cycle (a: TestAgent, url = '/readyz'): Promise<{ status: number, body: string }> {
  await a.agent.runner.runCycle()
  const res = await a.app.inject({ url })
  return { status: res.statusCode, body: res.body }
}

const passwordOf = (t: KafkaTarget): string | undefined => (t.sasl !== undefined && 'password' in t.sasl ? t.sasl.password : undefined)

interface CheckStatus { ok: boolean, reason: string, message: string, lastRun: { details: { reloads: number } } }

async function status (a: TestAgent, name: string): Promise<CheckStatus> {
  const s = JSON.parse((await a.app.inject({ url: '/status' })).body) as { checks: Partial<Record<string, CheckStatus>> }
  const check = s.checks[name]
  if (check === undefined) throw new Error(`no check ${name}`)
  return check
}

t.test('Connect basic-auth password rotated with the worker: ready again on the next run, same agent', async (t) => {
  const w = await new ConnectStandIn().start()
  t.teardown(async () => { await w.stop() })
  w.add('orders-sink')
  w.credentials = { username: 'healthz', password: 'one' }
  const vol = new SecretVolume()
  t.teardown(() => { vol.remove() })
  vol.write({ password: 'one\n' })
  const config = configFrom(['--connect-url', w.url, '--connect-username', 'healthz', '--connect-password-file', vol.path('password'),
    '--interval', '1m', '--timeout', '500ms', '--failure-threshold', '1'], {}, realFiles)
  const a = await startAgent(config, {}, { start: false })
  t.teardown(a.close)
  t.equal((await cycle(a)).status, 200)
  t.match(await status(a, 'connect-files'), { ok: true, message: 'files unchanged since start' })

  // The worker's password and the mounted Secret change at the same moment.
  w.credentials = { username: 'healthz', password: 'two' }
  vol.write({ password: 'two\n' })
  const first = await cycle(a)
  const second = await cycle(a)
  t.equal(second.status, 200, `ready again within two runs (first run after the swap: ${first.status})`)
  t.match(await status(a, 'connect-files'), { ok: true, message: 'files reloaded 1 time since start', lastRun: { details: { reloads: 1 } } })
  t.match(a.logs.text, 'files changed: new material loaded, clients rebuilt')
  t.notMatch(a.logs.text, /"two|two"/, 'the password is never logged')

  // A rotation that leaves the file missing: keep the last good password, say why, count it.
  vol.write({})
  const broken = await cycle(a)
  t.equal(broken.status, 200, 'the last good password still works')
  const st = await status(a, 'connect-files')
  t.match(st, { ok: false, reason: 'FILE_RELOAD_FAILED', message: /^--connect-password-file: got ".*password", expected a readable file \(ENOENT\); still using the last good material$/ })
  t.match((await a.app.inject({ url: '/metrics' })).body, 'kafka_healthz_check_failures_total{check="connect-files",reason="FILE_RELOAD_FAILED"} 1')
  t.match(a.logs.text, 'files changed but do not load; keeping the last good material')
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200)

  vol.write({ password: 'two\n' })
  t.equal((await cycle(a)).status, 200)
  t.match(await status(a, 'connect-files'), { ok: true, lastRun: { details: { reloads: 1 } } }, 'the same material again is no reload')
})

t.test('Connect CA rotated: a half-written CA file keeps the last good one; the new CA is used once whole', async (t) => {
  const old = makePki()
  const next = makePki()
  const w = await new ConnectStandIn('10.0.0.1:8083', { cert: old.serverCert, key: old.serverKey }).start()
  t.teardown(async () => { await w.stop() })
  w.add('orders-sink')
  const vol = new SecretVolume()
  t.teardown(() => { vol.remove() })
  vol.write({ 'ca.crt': old.ca })
  const config = configFrom(['--connect-url', w.url, '--connect-tls-ca-file', vol.path('ca.crt'),
    '--interval', '1m', '--timeout', '500ms', '--failure-threshold', '1'], {}, realFiles)
  const a = await startAgent(config, {}, { start: false })
  t.teardown(a.close)
  t.equal((await cycle(a)).status, 200)

  vol.write({ 'ca.crt': next.ca.slice(0, Math.floor(next.ca.length / 2)) })
  t.equal((await cycle(a)).status, 200, 'half a PEM file is not swapped in')
  t.match(await status(a, 'connect-files'), { ok: false, reason: 'FILE_RELOAD_FAILED', message: /^--connect-tls-\*-file: the files do not load as TLS material/ })

  // cert-manager re-issues: the worker's certificate and the mounted CA change together.
  w.rotateTls({ cert: next.serverCert, key: next.serverKey })
  vol.write({ 'ca.crt': next.ca })
  await cycle(a)
  const back = await cycle(a)
  t.equal(back.status, 200, 'ready within two runs under the new CA')
  t.match(await status(a, 'connect-files'), { ok: true, lastRun: { details: { reloads: 1 } } })
})

t.test('Kafka SASL password rotated with the broker: readiness back within two runs, liveness never failed', async (t) => {
  let valid = 'one'
  const made: KafkaTarget[] = []
  // A broker that takes the password it is configured with now: a client dialled with an older one is refused.
  const brokerFor = (target: KafkaTarget): FakeBrokerClient => {
    made.push(target)
    const c = new FakeBrokerClient()
    const meta = c.clusterMetadata
    c.clusterMetadata = async (signal) => {
      if (passwordOf(target) !== valid) throw new BrokerError('auth', 'SASL SCRAM-SHA-512 authentication failed')
      return await meta(signal)
    }
    return c
  }
  const vol = new SecretVolume()
  t.teardown(() => { vol.remove() })
  vol.write({ password: 'one' })
  const config = configFrom(['--kafka-brokers', 'kafka-0:9092', '--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-sasl-username', 'healthz',
    '--kafka-sasl-password-file', vol.path('password'), '--interval', '1m', '--timeout', '500ms', '--failure-threshold', '1'], {}, realFiles)
  const a = await startAgent(config, { brokerClientFor: brokerFor }, { start: false })
  t.teardown(a.close)
  t.equal((await cycle(a)).status, 200)

  valid = 'two'
  vol.write({ password: 'two' })
  const first = await cycle(a)
  t.equal((await a.app.inject({ url: '/livez' })).statusCode, 200, 'a refused password never fails liveness')
  const second = await cycle(a)
  t.equal(second.status, 200, `ready again within two runs (first: ${first.status})`)
  t.equal(made.length, 2, 'one new client for the new password')
  t.equal(made[1] === undefined ? undefined : passwordOf(made[1]), 'two')
  t.match(await status(a, 'kafka-files'), { ok: true, lastRun: { details: { reloads: 1 } } })
  t.notMatch((await a.app.inject({ url: '/status' })).body, /"two"/, 'the password is not in /status')
})

t.test('without file-based secrets there is no rotation check', async (t) => {
  const a = await startAgent(configFrom(['--kafka-brokers', 'kafka-0:9092', '--interval', '1m', '--timeout', '500ms']), { brokerClient: new FakeBrokerClient() }, { start: false })
  t.teardown(a.close)
  t.same(a.agent.runner.names, ['reachable', 'registered'])
})
