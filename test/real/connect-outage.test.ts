// The whole Kafka cluster down under a real Connect worker. The worker's herder then waits in
// "ensuring membership in the cluster", and /health answers 500 after Connect's own 10 s. A
// restart would fix nothing: liveness must hold throughout (no restart storm of every Connect
// pod), readiness must fail, and both must come back by themselves once Kafka does.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { AgentProcess, forEachKafkaVersion, RealKafkaCluster } from '../helpers/real-kafka'

const INTERVAL = 1000
const TIMEOUT = 800
/** Long enough for several of Connect's 10 s /health answers to come back naming the stage. */
const OUTAGE_MS = 25_000

const ONE_NODE = {
  'offsets.topic.replication.factor': 1, 'default.replication.factor': 1, 'min.insync.replicas': 1,
  'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1,
}
const ONE_WORKER = { 'config.storage.replication.factor': 1, 'offset.storage.replication.factor': 1, 'status.storage.replication.factor': 1 }

forEachKafkaVersion(t, 'Kafka down under a Connect worker: live, not ready; back by itself', async (t, version) => {
  const cluster = await RealKafkaCluster.start(version, { nodes: 1, brokerProps: ONE_NODE })
  t.teardown(async () => {
    if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
    await cluster.stop(!t.passing())
  })
  const [w] = await cluster.startConnect(1, { props: ONE_WORKER })
  if (w === undefined) throw new Error('no worker')
  // The strictest settings: one failed run flips a probe.
  const a = await AgentProcess.start(['--connect-url', w.url, '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1'])
  t.teardown(async () => {
    if (!t.passing()) t.comment(`agent:\n${a.output.split('\n').slice(-20).join('\n')}`)
    await a.stop()
  })
  await a.waitStatus('/readyz', 200, 60_000)

  await cluster.node(1).jvm.kill()
  const down = Date.now()
  const livez: number[] = []
  let notReady = 0
  let sawStage = false
  while (Date.now() - down < OUTAGE_MS) {
    livez.push((await a.get('/livez')).status)
    if ((await a.get('/readyz')).status === 503) notReady++
    const s = await a.status()
    if (/worker waits on Kafka.*ensuring membership in the cluster/.test(s.checks['connect-worker']?.message ?? '')) sawStage = true
    await sleep(500)
  }
  const failures = livez.filter((s) => s !== 200).length
  t.equal(failures, 0, `/livez 200 at every one of ${livez.length} polls over ${OUTAGE_MS / 1000}s with Kafka down`)
  t.ok(notReady > 0, `/readyz 503 meanwhile (${notReady} polls)`)
  t.ok(sawStage, 'the worker\'s late /health named the stage, and the agent read it as waiting on Kafka')

  cluster.restart(1)
  const back = await a.waitStatus('/readyz', 200, 90_000)
  t.pass(`ready again ${back.after}ms after Kafka came back, the same worker and agent`)
  t.equal((await a.get('/livez')).status, 200)
})
