// The advertised-address check at our client seam: what the metadata advertises for this broker
// must resolve and answer the Kafka protocol. The real-listener case is in
// test/integration/broker.test.ts.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { advertisedCheck } from '../../src/kafka/advertised'
import type { KafkaTarget } from '../../src/config/resolve'
import { FakeBrokerClient } from '../helpers/fakes'

const target: KafkaTarget = { address: 'localhost:9092', host: 'localhost', port: 9092, brokerId: 2, minBrokers: 1, clientId: 'kafka-healthz', tls: { rejectUnauthorized: true, servername: 'localhost' }, sasl: undefined }
const signal = (): AbortSignal => new AbortController().signal

function setup (dns: Record<string, string[]> = { 'kafka-2': ['10.0.0.2'] }): { local: FakeBrokerClient, remote: FakeBrokerClient, made: KafkaTarget[], check: ReturnType<typeof advertisedCheck> } {
  const local = new FakeBrokerClient()
  const remote = new FakeBrokerClient()
  const made: KafkaTarget[] = []
  const check = advertisedCheck({
    client: local,
    target: () => target,
    brokerId: 2,
    clientFor: (t) => { made.push(t); return remote },
    lookup: async (host) => {
      const ips = dns[host]
      if (ips === undefined) throw new Error(`getaddrinfo ENOTFOUND ${host}`)
      return await Promise.resolve(ips)
    },
  })
  return { local, remote, made, check }
}

t.test('resolves and answers: passes, dialling the advertised name with TLS verifying it', async (t) => {
  const { remote, made, check } = setup()
  const r = await check.run(signal())
  t.equal(r.ok, true)
  t.equal(r.message, 'advertised address kafka-2:9092 (10.0.0.2) accepts Kafka connections')
  t.equal(made[0]?.address, 'kafka-2:9092')
  t.equal(made[0]?.tls?.servername, 'kafka-2', 'the certificate must name the advertised host')
  t.equal(remote.calls, 1)
  await check.run(signal())
  t.equal(made.length, 1, 'one client per advertised address, reused')
  await check.close()
  t.equal(remote.closed, 1)
})

t.test('a name that does not resolve: ADVERTISED_UNRESOLVABLE', async (t) => {
  const { check } = setup({})
  const r = await check.run(signal())
  t.equal(r.reason, 'ADVERTISED_UNRESOLVABLE')
  t.equal(r.message, 'advertised address kafka-2:9092 does not resolve from this pod: getaddrinfo ENOTFOUND kafka-2')
})

t.test('resolves but refuses (seed 002: advertising an address clients cannot reach): ADVERTISED_UNREACHABLE', async (t) => {
  const { remote, check } = setup()
  remote.error = { kind: 'unreachable', message: 'connect ECONNREFUSED 10.0.0.2:9092' }
  const r = await check.run(signal())
  t.equal(r.reason, 'ADVERTISED_UNREACHABLE')
  t.equal(r.message, 'advertised address kafka-2:9092 (10.0.0.2) does not accept a Kafka connection from this pod: connect ECONNREFUSED 10.0.0.2:9092')
  remote.error = { kind: 'tls', message: 'Hostname/IP does not match certificate\'s altnames' }
  t.equal((await check.run(signal())).reason, 'ADVERTISED_UNREACHABLE', 'a certificate that does not name it fails clients too')
})

t.test('the advertised address changes: the old client is closed, a new one dialled', async (t) => {
  const { local, remote, made, check } = setup({ 'kafka-2': ['10.0.0.2'], 'fd00::2': ['fd00::2'] })
  await check.run(signal())
  local.clusterMetadata = async () => await Promise.resolve({ clusterId: 'c1', controllerId: null, brokers: [{ nodeId: 2, host: 'fd00::2', port: 9093, rack: null }] })
  t.equal((await check.run(signal())).ok, true)
  t.equal(made[1]?.address, '[fd00::2]:9093')
  t.equal(remote.closed, 1)
})

t.test('not registered, or the local broker unreachable: says so', async (t) => {
  const { local, check } = setup()
  local.brokers = [1, 3]
  t.equal((await check.run(signal())).reason, 'BROKER_NOT_REGISTERED')
  local.error = { kind: 'unreachable', message: 'connect ECONNREFUSED' }
  t.equal((await check.run(signal())).reason, 'KAFKA_UNREACHABLE')
})

t.test('an aborted run is the runner\'s TIMEOUT, not a verdict on the address', async (t) => {
  const { remote, check } = setup()
  remote.hang = true
  const ac = new AbortController()
  const run = check.run(ac.signal)
  await sleep(20) // the ping is under way
  ac.abort()
  const result = await run
  t.match(result, { ok: false, reason: 'TIMEOUT' }, 'a failure returned (a throw is logged as a bug in the check)')
})
