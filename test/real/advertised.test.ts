// The advertised-address check against a real broker (issue 12): a listener that advertises a
// name that does not resolve, and one that advertises a port nothing listens on. The agent reaches
// the broker fine through each (so every local check passes); the advertised check must fail and
// name the address, as it is the one clients are sent to after bootstrap.
import t from 'tap'
import { AgentProcess, forEachKafkaVersion, RealKafkaCluster } from '../helpers/real-kafka'

const INTERVAL = 1000
const TIMEOUT = 800

forEachKafkaVersion(t, 'wrong advertised addresses', async (t, version) => {
  // Port 1 (tcpmux): nothing listens there, and no test or cluster will ever be handed it.
  const unused = 1
  const single = { 'default.replication.factor': 1, 'min.insync.replicas': 1, 'offsets.topic.replication.factor': 1, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 }
  const cluster = await RealKafkaCluster.start(version, {
    nodes: 1,
    brokerProps: single,
    listeners: { BADHOST: 'PLAINTEXT', BADPORT: 'PLAINTEXT' },
    advertise: (name, address) => name === 'BADHOST' ? `kafka-0.does-not-resolve.invalid:${address.split(':')[1] ?? ''}` : name === 'BADPORT' ? `127.0.0.1:${unused}` : address,
  })
  t.teardown(async () => {
    if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
    await cluster.stop(!t.passing())
  })
  const node = cluster.node(1)
  const agentOn = async (listener: string): Promise<AgentProcess> => {
    const a = await AgentProcess.start(['--kafka-brokers', node.listeners[listener] ?? '', '--kafka-broker-id', '1', '--advertised-check', 'readiness',
      '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1'])
    t.teardown(async () => {
      if (!t.passing()) t.comment(`agent on ${listener}:\n${a.output.split('\n').slice(-12).join('\n')}`)
      await a.stop()
    })
    return a
  }

  const good = await agentOn('PLAINTEXT')
  await good.waitFor('/readyz?verbose', (r) => r.body.includes('[+]advertised ok'), 30_000, 'advertised ok')
  t.pass('the listener that advertises itself passes')

  const badHost = await agentOn('BADHOST')
  const unresolvable = await badHost.waitFor('/readyz?verbose', (r) => r.body.includes('ADVERTISED_UNRESOLVABLE'), 30_000, 'ADVERTISED_UNRESOLVABLE')
  t.equal(unresolvable.status, 503)
  t.match(unresolvable.body, /\[\+\]registered ok[\s\S]*\[-\]advertised failed: ADVERTISED_UNRESOLVABLE: advertised address kafka-0\.does-not-resolve\.invalid:\d+ does not resolve from this pod/)
  t.equal((await badHost.get('/livez')).status, 200, 'the broker itself is fine: liveness holds')

  const badPort = await agentOn('BADPORT')
  const unreachable = await badPort.waitFor('/readyz?verbose', (r) => r.body.includes('ADVERTISED_UNREACHABLE'), 30_000, 'ADVERTISED_UNREACHABLE')
  t.match(unreachable.body, `[-]advertised failed: ADVERTISED_UNREACHABLE: advertised address 127.0.0.1:${unused} (127.0.0.1) does not accept a Kafka connection from this pod`)
  t.equal((await badPort.get('/livez')).status, 200)
})
