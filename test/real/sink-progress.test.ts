// Sink progress end to end: a real broker, a real Connect worker and the built agent. A sink
// connector of our own (blocking-sink/BlockingSinkConnector.java, compiled here with javac against
// the worker's jars) consumes a topic under steady production; then its task blocks in put() while
// it stays RUNNING and production goes on. /connectors/<name> must turn 503 STALLED within the
// window (and /readyz only under --connect-progress=readiness), then 200 once it consumes again.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { AgentProcess, forEachKafkaVersion, jarsDir, RealKafkaCluster, type Tap } from '../helpers/real-kafka'

const INTERVAL = 1000
const TIMEOUT = 800
const WINDOW = 4
/**
 * The bound the stall must show within: the last commit's flush (offset.flush.interval.ms, 1 s in
 * the harness), one sample that may still see it move, the window's samples, and a check interval
 * of slack for a loaded machine.
 */
const STALL_BOUND = 1000 + (WINDOW + 2) * INTERVAL + 2000
const SOURCE = resolve(__dirname, 'blocking-sink', 'BlockingSinkConnector.java')

/** Compiles the blocking sink into a plugin.path dir; throws, saying why, when there is no javac. */
function compileBlockingSink (version: string, dir: string): string {
  const out = join(dir, 'classes')
  const plugins = join(dir, 'plugins')
  mkdirSync(join(out, 'META-INF', 'services'), { recursive: true })
  mkdirSync(plugins, { recursive: true })
  const javac = spawnSync('javac', ['--release', '17', '-cp', `${jarsDir(version)}/*`, '-d', out, SOURCE], { encoding: 'utf8' })
  if (javac.error !== undefined) throw new Error('no javac on the PATH: install a JDK (apt-get install openjdk-17-jdk-headless)')
  if (javac.status !== 0) throw new Error(`javac failed: ${javac.stderr}`)
  writeFileSync(join(out, 'META-INF', 'services', 'org.apache.kafka.connect.sink.SinkConnector'), 'healthz.test.BlockingSinkConnector\n')
  const jar = spawnSync('jar', ['cf', join(plugins, 'blocking-sink.jar'), '-C', out, '.'], { encoding: 'utf8' })
  if (jar.status !== 0) throw new Error(`jar failed: ${jar.stderr}`)
  return plugins
}

/** One broker and one worker: what the test needs, and the least CPU on a shared machine. */
const ONE_NODE = {
  'offsets.topic.replication.factor': 1, 'default.replication.factor': 1, 'min.insync.replicas': 1,
  'transaction.state.log.replication.factor': 1, 'transaction.state.log.min.isr': 1,
}
const ONE_WORKER = { 'config.storage.replication.factor': 1, 'offset.storage.replication.factor': 1, 'status.storage.replication.factor': 1 }

forEachKafkaVersion(t, 'sink progress: a RUNNING sink that stops consuming', async (t, version) => {
  const started = Date.now()
  const cluster = await RealKafkaCluster.start(version, { nodes: 1, brokerProps: ONE_NODE })
  t.teardown(async () => {
    if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
    await cluster.stop(!t.passing())
  })
  const plugins = compileBlockingSink(version, cluster.dir)
  const [w] = await cluster.startConnect(1, { props: { 'plugin.path': plugins, ...ONE_WORKER } })
  if (w === undefined) throw new Error('no worker')
  t.comment(`cluster and worker up after ${Date.now() - started}ms`)

  const topic = `orders-${Date.now().toString(36)}`
  const kafka = cluster.kafka()
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })
  await admin.disconnect()

  // Steady production into every partition until the test ends.
  const producer = kafka.producer()
  await producer.connect()
  const stop = new AbortController()
  let produced = 0
  const production = (async () => {
    while (!stop.signal.aborted) {
      await producer.send({ topic, messages: [0, 1, 2].map((partition) => ({ partition, value: `{"n":${produced}}` })) })
      produced += 3
      await sleep(100)
    }
  })()
  t.teardown(async () => {
    stop.abort()
    await production.catch(() => undefined)
    await producer.disconnect()
  })

  const block = join(cluster.dir, 'block-put')
  t.teardown(() => { rmSync(block, { force: true }) })
  const name = 'orders-sink'
  const created = await w.rest('PUT', `/connectors/${name}/config`, {
    'connector.class': 'healthz.test.BlockingSinkConnector', topics: topic, 'tasks.max': '1', 'block.file': block,
  })
  t.ok([200, 201].includes(created.status), `connector created: ${created.status} ${created.body}`)

  /** The worker's own view: the connector and its task RUNNING (the point of the test). */
  async function running (): Promise<boolean> {
    const s = await w!.rest('GET', `/connectors/${name}/status`)
    if (s.status !== 200) return false
    const body = s.json() as { connector: { state: string }, tasks: Array<{ state: string }> }
    return body.connector.state === 'RUNNING' && body.tasks.length === 1 && body.tasks.every((x) => x.state === 'RUNNING')
  }

  async function agent (t: Tap, policy: string): Promise<AgentProcess> {
    const a = await AgentProcess.start(['--connect-url', w!.url, '--connect-kafka-bootstrap', cluster.bootstrap, '--connect-progress', policy,
      '--connect-progress-window', String(WINDOW), '--connect-progress-every', '1', '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1'])
    t.teardown(async () => {
      if (!t.passing()) t.comment(`agent (${policy}):\n${a.output.split('\n').slice(-20).join('\n')}`)
      await a.stop()
    })
    return a
  }
  const gated = await agent(t, 'readiness')
  const informed = await agent(t, 'status')
  const progressOf = (body: string): { status?: string } => (JSON.parse(body) as { progress?: { status?: string } }).progress ?? {}

  // Consuming: OK once the window is full (and never FILLING from then on).
  const ok = await gated.waitFor(`/connectors/${name}`, (a) => a.status === 200 && progressOf(a.body).status === 'OK', 90_000, '200 with progress OK')
  t.match(JSON.parse(ok.body), { healthy: true, state: 'RUNNING', progress: { status: 'OK', group: `connect-${name}`, partitions: 3 } })
  await gated.waitStatus('/readyz', 200, 30_000)
  t.ok(await running(), 'RUNNING while consuming')

  // The worker's view, watched from here to the end: never anything but RUNNING.
  const notRunning: string[] = []
  const watch = (async () => {
    while (!stop.signal.aborted) {
      if (!await running().catch(() => false)) notRunning.push(new Date().toISOString())
      await sleep(500)
    }
  })()

  // Stuck in put(): RUNNING, committing nothing, production going on.
  writeFileSync(block, '')
  const blockedAt = Date.now()
  const stalled = await gated.waitFor(`/connectors/${name}`, (a) => a.status === 503, STALL_BOUND * 3, '503')
  const stallMs = Date.now() - blockedAt
  t.ok(stallMs <= STALL_BOUND, `STALLED after ${stallMs}ms (bound ${STALL_BOUND}ms: flush + ${WINDOW + 2} samples of ${INTERVAL}ms + slack)`)
  t.match(JSON.parse(stalled.body), { healthy: false, reason: 'CONNECTOR_STALLED', state: 'RUNNING', progress: { status: 'STALLED', members: 1 } })
  t.ok(await running(), 'the worker still says RUNNING')
  const readyz = await gated.waitStatus('/readyz', 503, 3 * INTERVAL)
  t.match((await gated.get('/readyz?verbose')).body, '[-]sink-progress failed: CONNECTOR_STALLED: 1 of 1 sink connectors not consuming: orders-sink STALLED')
  t.ok(readyz.slowest < 100, `probe answers stay fast meanwhile: slowest ${readyz.slowest.toFixed(1)}ms`)
  t.equal((await gated.get('/livez')).status, 200, 'never liveness')
  t.equal((await informed.waitStatus(`/connectors/${name}`, 503, 3 * INTERVAL)).status, 503, 'policy status: /connectors/<name> still says 503')
  t.equal((await informed.get('/readyz')).status, 200, 'policy status: /readyz stays 200')
  const metrics = (await gated.get('/metrics')).body
  t.match(metrics, `kafka_healthz_connect_sink_progress{connector="${name}",status="STALLED"} 1`)
  t.match(metrics, new RegExp(`kafka_healthz_connect_sink_lag_records\\{connector="${name}"\\} [1-9]`))
  const behind = Number(new RegExp(`kafka_healthz_connect_sink_lag_seconds\\{connector="${name}"\\} (\\S+)`).exec(metrics)?.[1])
  t.ok(behind >= 1, `time lag ${behind}s`)

  // Unblocked: it consumes and commits again.
  rmSync(block)
  const unblockedAt = Date.now()
  await gated.waitFor(`/connectors/${name}`, (a) => a.status === 200 && progressOf(a.body).status === 'OK', 30_000, '200 OK again')
  await gated.waitStatus('/readyz', 200, 3 * INTERVAL)
  await informed.waitStatus(`/connectors/${name}`, 200, 3 * INTERVAL)
  t.comment(`OK again after ${Date.now() - unblockedAt}ms; whole test ${Date.now() - started}ms`)
  stop.abort()
  await watch
  t.same(notRunning, [], 'the connector and its task RUNNING throughout, as the worker reported every 500ms')

  await t.test('an idle sink after transactional writes sits at lag 1 (the commit marker): OK by default', async (t) => {
    // A transactional producer ends each transaction with a commit marker, one offset after its
    // last record. The sink commits that record's offset + 1 and has nothing more to read, so it
    // sits one behind the end for good. --connect-progress-allowed-lag is 1 by default for this.
    const txTopic = `tx-${Date.now().toString(36)}`
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic: txTopic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true })
    await admin.disconnect()
    const tx = kafka.producer({ transactionalId: `healthz-${txTopic}`, idempotent: true, maxInFlightRequests: 1 })
    await tx.connect()
    for (let i = 0; i < 3; i++) {
      const txn = await tx.transaction()
      await txn.send({ topic: txTopic, messages: [{ value: `{"a":${i}}` }, { value: `{"b":${i}}` }] })
      await txn.commit()
    }
    await tx.disconnect()
    const txSink = 'tx-sink'
    const made = await w.rest('PUT', `/connectors/${txSink}/config`, { 'connector.class': 'healthz.test.BlockingSinkConnector', topics: txTopic, 'tasks.max': '1' })
    t.ok([200, 201].includes(made.status), `connector created: ${made.status}`)
    const start = async (extra: string[]): Promise<AgentProcess> => {
      const a = await AgentProcess.start(['--connect-url', w.url, '--connectors', txSink, '--connect-kafka-bootstrap', cluster.bootstrap,
        '--connect-progress-window', String(WINDOW), '--connect-progress-every', '1', '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1', ...extra])
      t.teardown(async () => {
        if (!t.passing()) t.comment(`agent ${extra.join(' ')}:\n${a.output.split('\n').slice(-20).join('\n')}`)
        await a.stop()
      })
      return a
    }
    const byDefault = await start([])
    const strict = await start(['--connect-progress-allowed-lag', '0'])
    type Progress = { status?: string, lag?: number }
    const progress = (body: string): Progress => (JSON.parse(body) as { progress?: Progress }).progress ?? {}
    // The strict agent shows what the marker does: a full window at lag 1 that never moves.
    const stuck = await strict.waitFor(`/connectors/${txSink}`, (a) => a.status === 503 && progress(a.body).status === 'STALLED', 60_000, '503 STALLED at allowed lag 0')
    t.match(progress(stuck.body), { status: 'STALLED', lag: 1 }, 'allowed lag 0: the idle sink reads STALLED at lag 1, the commit marker')
    const fine = await byDefault.get(`/connectors/${txSink}`)
    t.equal(fine.status, 200, 'the default allowed lag: 200')
    t.match(progress(fine.body), { status: 'OK', lag: 1 })
  })
})
