// A silent network against a real broker (seed 003's case, issue 12): the broker runs on a test
// host of our own (a network namespace behind a veth pair), and the link then drops every
// packet both ways: no FIN, no RST. The agent must answer 503 within its bound while its probes
// stay fast, and come back to 200 by itself, in the same process, once packets flow again.
import t from 'tap'
import { AgentProcess, forEachKafkaVersion, RealKafkaCluster } from '../helpers/real-kafka'
import { TestHost } from '../helpers/netns'

const INTERVAL = 1000
const TIMEOUT = 800
/** timeout + interval x failure threshold (1), plus scheduling slack on 2 shared cores. */
const BOUND = TIMEOUT + INTERVAL + 1500

const unavailable = TestHost.unavailable()
if (unavailable !== undefined && process.env.CI === 'true') {
  t.fail(`a silent network cannot be made here (CI must not skip): ${unavailable}`)
} else if (unavailable !== undefined) {
  t.test('a silent network', { skip: `it cannot be made here: ${unavailable}` }, async () => {})
} else {
  forEachKafkaVersion(t, 'a silent network', async (t, version) => {
    const host = TestHost.create()
    t.teardown(() => { host.remove() })
    const single = { 'default.replication.factor': 1, 'min.insync.replicas': 1, 'offsets.topic.replication.factor': 1, 'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1 }
    const cluster = await RealKafkaCluster.start(version, { nodes: 1, host: host.address, netns: host.ns, brokerProps: single })
    t.teardown(async () => {
      host.restore()
      if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
      await cluster.stop(!t.passing())
    })
    const a = await AgentProcess.start(['--kafka-brokers', cluster.node(1).address, '--kafka-broker-id', '1',
      '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1'])
    t.teardown(async () => {
      if (!t.passing()) t.comment(`agent:\n${a.output.split('\n').slice(-12).join('\n')}`)
      await a.stop()
    })
    await a.waitStatus('/readyz', 200, 30_000)
    t.pass(`ready beside a broker at ${cluster.node(1).address} on its own test host`)

    host.silence()
    const down = await a.waitStatus('/livez', 503, BOUND + 2000)
    t.ok(down.after <= BOUND, `/livez 503 ${down.after} ms after the link went silent (bound ${BOUND} ms)`)
    t.match(down.body, /reachable failed: TIMEOUT/)
    t.ok(down.slowest < 200, `probe answers stayed fast while the broker was silent (slowest ${down.slowest.toFixed(1)} ms)`)
    const ready = await a.get('/readyz')
    t.equal(ready.status, 503)

    host.restore()
    const back = await a.waitStatus('/readyz', 200, 30_000)
    t.pass(`ready again ${back.after} ms after packets flowed again, with no restart`)
    t.equal((await a.get('/livez')).status, 200)
  })
}
