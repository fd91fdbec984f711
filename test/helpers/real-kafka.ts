// Real Apache Kafka (KRaft) and Kafka Connect as test peers: plain JVM processes started from the
// jars scripts/fetch-kafka.sh puts in .cache/kafka/<version>/jars. No Docker: every node is a
// child JVM in its own process group, so a test can SIGSTOP, SIGCONT or SIGKILL it, and nothing
// outlives the test run (teardown, process exit, and a watchdog for a test process killed hard).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { Kafka, logLevel } from 'kafkajs'
import { Agent, request } from 'undici'
import { CLI, freePort } from './cli'

const ROOT = resolve(__dirname, '..', '..')
const DIR_PREFIX = 'healthz-kafka-'

/** The Kafka versions test/real runs against (test/real/kafka-versions), or those in $REAL_KAFKA_VERSIONS. */
export function kafkaVersions (): string[] {
  const only = process.env.REAL_KAFKA_VERSIONS
  const listed = readFileSync(join(ROOT, 'test', 'real', 'kafka-versions'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '')
  if (only === undefined || only.trim() === '') return listed
  return only.split(',').map((v) => v.trim()).filter((v) => v !== '')
}

export function jarsDir (version: string): string {
  return join(ROOT, '.cache', 'kafka', version, 'jars')
}

/**
 * Why real Kafka `version` cannot run here, or undefined when it can: Java >= 17 on the PATH and
 * the version's jars fetched. Under CI the caller must fail on a reason, never skip.
 */
export function missingPrerequisite (version: string): string | undefined {
  const java = spawnSync('java', ['-XshowSettings:properties', '-version'], { encoding: 'utf8' })
  if (java.error !== undefined || java.status !== 0) return 'no java on the PATH (scripts/setup.sh installs openjdk-17-jre-headless and maven)'
  const major = Number(/java\.specification\.version = (\d+)/.exec(java.stderr + java.stdout)?.[1] ?? 0)
  if (major < 17) return `Kafka needs Java >= 17; found Java ${major} (scripts/setup.sh installs openjdk-17-jre-headless)`
  if (!existsSync(join(ROOT, '.cache', 'kafka', version, '.complete'))) {
    return `the jars of Apache Kafka ${version} are not fetched (run: bash scripts/fetch-kafka.sh ${version})`
  }
  return undefined
}

/** JVM options for small, quick-starting nodes on a shared 2-core machine. */
const JVM_OPTS = ['-Xms64m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-XX:-UsePerfData', '-Djava.awt.headless=true', '-XX:+ExitOnOutOfMemoryError']

function logConfig (dir: string, version: string): string[] {
  if (version.startsWith('3.')) {
    const file = join(dir, 'log4j.properties')
    writeFileSync(file, [
      'log4j.rootLogger=INFO, stdout',
      'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
      'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
      'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
      'log4j.logger.kafka.request.logger=WARN',
      'log4j.logger.org.apache.kafka.clients.consumer=WARN',
      'log4j.logger.org.apache.kafka.clients.producer=WARN',
      'log4j.logger.org.apache.kafka.common.config=WARN',
      'log4j.logger.org.reflections=ERROR',
      '',
    ].join('\n'))
    return [`-Dlog4j.configuration=file:${file}`]
  }
  const file = join(dir, 'log4j2.properties')
  writeFileSync(file, [
    'status = error',
    'appender.out.type = Console',
    'appender.out.name = OUT',
    'appender.out.layout.type = PatternLayout',
    'appender.out.layout.pattern = [%d] %p %m (%c)%n',
    'rootLogger.level = INFO',
    'rootLogger.appenderRef.out.ref = OUT',
    'logger.request.name = kafka.request.logger',
    'logger.request.level = WARN',
    'logger.consumer.name = org.apache.kafka.clients.consumer',
    'logger.consumer.level = WARN',
    'logger.producer.name = org.apache.kafka.clients.producer',
    'logger.producer.level = WARN',
    'logger.config.name = org.apache.kafka.common.config',
    'logger.config.level = WARN',
    'logger.reflections.name = org.reflections',
    'logger.reflections.level = ERROR',
    '',
  ].join('\n'))
  return [`-Dlog4j2.configurationFile=${file}`]
}

function properties (values: Record<string, string | number>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n') + '\n'
}

/** A Kafka cluster id: 16 random bytes, base64url without padding, as `StorageTool random-uuid` prints. */
function clusterId (): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Kills the process group of `pid` if that process still runs a command line naming `dir`. */
function killGroupIn (dir: string, pid: number): void {
  try {
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) return
    process.kill(-pid, 'SIGKILL')
  } catch { /* gone already */ }
}

function pidsIn (dir: string): number[] {
  const pidDir = join(dir, 'pids')
  if (!existsSync(pidDir)) return []
  return readdirSync(pidDir).map((f) => Number(readFileSync(join(pidDir, f), 'utf8'))).filter((p) => Number.isInteger(p) && p > 0)
}

/**
 * The safety net for a previous run that died without its teardown (and whose watchdog died too):
 * every JVM left in a temp dir whose owning test process is gone is killed, and the dir removed.
 */
export function reapStrays (): void {
  for (const name of readdirSync(tmpdir())) {
    if (!name.startsWith(DIR_PREFIX)) continue
    const dir = join(tmpdir(), name)
    let owner = 0
    try { owner = Number(readFileSync(join(dir, 'owner'), 'utf8')) } catch { continue }
    if (owner === process.pid || alive(owner)) continue
    for (const pid of pidsIn(dir)) killGroupIn(dir, pid)
    rmSync(dir, { recursive: true, force: true })
  }
}

const live = new Set<JvmProcess>()
let exitHookInstalled = false
function installExitHook (): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // 'exit' handlers run synchronously: process.kill is synchronous, so this is enough.
  process.on('exit', () => { for (const p of live) p.killNow() })
}

/** One JVM in its own process group, logging to a file. */
export class JvmProcess {
  private child: ChildProcess | undefined
  private exited: Promise<void> = Promise.resolve()
  private readonly logFile: string
  starts = 0

  /** `wrap` goes before `java`, e.g. `ip netns exec NS` (which execs java in place: same pid). */
  constructor (readonly name: string, private readonly dir: string, private readonly args: string[], private readonly wrap: string[] = []) {
    this.logFile = join(dir, 'logs', `${name}.log`)
  }

  get pid (): number {
    const pid = this.child?.pid
    if (pid === undefined || !this.running) throw new Error(`${this.name} is not running`)
    return pid
  }

  get running (): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null
  }

  start (): void {
    if (this.running) throw new Error(`${this.name} runs already`)
    installExitHook()
    mkdirSync(join(this.dir, 'logs'), { recursive: true })
    mkdirSync(join(this.dir, 'pids'), { recursive: true })
    const fd = openSync(this.logFile, 'a')
    writeFileSync(fd, `\n==== start ${++this.starts} at ${new Date().toISOString()}\n`)
    // detached: its own process group, so a signal to -pid reaches it (and only it).
    const [cmd = 'java', ...rest] = [...this.wrap, 'java', ...this.args]
    const child = spawn(cmd, rest, { cwd: this.dir, detached: true, stdio: ['ignore', fd, fd] })
    closeSync(fd)
    this.child = child
    if (child.pid !== undefined) writeFileSync(join(this.dir, 'pids', `${this.name}.pid`), String(child.pid))
    live.add(this)
    this.exited = new Promise((resolve) => { child.once('exit', () => { resolve() }) })
    child.once('exit', () => { live.delete(this) })
  }

  signal (sig: NodeJS.Signals): void {
    process.kill(-this.pid, sig)
  }

  /** SIGKILL and wait for the exit (a frozen JVM is thawed first so the kill is not queued). */
  async kill (): Promise<void> {
    if (!this.running) return
    this.killNow()
    await this.exited
  }

  killNow (): void {
    const pid = this.child?.pid
    if (pid === undefined || !this.running) return
    try {
      process.kill(-pid, 'SIGKILL')
      process.kill(-pid, 'SIGCONT')
    } catch { /* already gone */ }
  }

  async waitExit (): Promise<number | null> {
    await this.exited
    return this.child?.exitCode ?? null
  }

  log (): string {
    try { return readFileSync(this.logFile, 'utf8') } catch { return '' }
  }

  /** The log's last lines, each cut to 400 characters (Raft state lines run to thousands). */
  tail (lines = 40): string {
    return this.log().split('\n').slice(-lines).map((l) => l.length > 400 ? `${l.slice(0, 400)}…` : l).join('\n')
  }
}

/** A temp dir owned by this test process, with a watchdog that kills its JVMs if this process dies hard. */
class Workspace {
  readonly dir: string
  private readonly watchdog: ChildProcess

  constructor (label: string) {
    reapStrays()
    this.dir = mkdtempSync(join(tmpdir(), `${DIR_PREFIX}${label}-`))
    writeFileSync(join(this.dir, 'owner'), String(process.pid))
    // A test process killed with SIGKILL (a tap timeout) runs no exit hook: this shell outlives
    // it by at most a second and kills every JVM this dir's pid files name.
    const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done
for f in "$1"/pids/*.pid; do [ -f "$f" ] || continue; p=$(cat "$f"); grep -qF -- "$1" /proc/$p/cmdline 2>/dev/null && kill -9 -- -$p; done`
    this.watchdog = spawn('bash', ['-c', script, 'watchdog', this.dir], { detached: true, stdio: 'ignore' })
    this.watchdog.unref()
  }

  stopWatchdog (): void {
    try { this.watchdog.kill('SIGKILL') } catch { /* gone */ }
  }
}

export interface KafkaNode {
  id: number
  port: number
  controllerPort: number
  /** The PLAINTEXT listener (also the inter-broker one). */
  address: string
  /** Every client listener by name (PLAINTEXT and the extra ones): host:port. */
  listeners: Record<string, string>
  jvm: JvmProcess
}

export interface ClusterOptions {
  nodes?: number
  /** Extra broker properties, for every node. */
  brokerProps?: Record<string, string | number>
  heapMb?: number
  /** Client listeners besides PLAINTEXT (which brokers use between themselves): name → security protocol. */
  listeners?: Record<string, 'PLAINTEXT' | 'SASL_PLAINTEXT' | 'SSL' | 'SASL_SSL'>
  /** What a listener advertises instead of its own host:port (a wrong advertised address). */
  advertise?: (listener: string, address: string) => string
  /** Extra `StorageTool format` arguments, e.g. `--add-scram 'SCRAM-SHA-512=[name=u,password=p]'`. */
  formatArgs?: string[]
  /** The address nodes listen on and advertise (default 127.0.0.1). */
  host?: string
  /** Run the nodes inside this network namespace (test/helpers/netns.ts). */
  netns?: string
  /** Dedicated controllers (process.roles=controller) besides `nodes` plain brokers; default: combined nodes. */
  controllers?: number
}

/** Threads and buffers of a small test broker: quick to start and light on 2 shared cores. */
const SMALL_BROKER = {
  'replica.lag.time.max.ms': 3000,
  'group.initial.rebalance.delay.ms': 0,
  'num.network.threads': 2,
  'num.io.threads': 2,
  'background.threads': 2,
  'num.recovery.threads.per.data.dir': 1,
  'num.replica.fetchers': 1,
  'log.cleaner.threads': 1,
  'log.cleaner.dedupe.buffer.size': 2 * 1024 * 1024,
}

/**
 * A KRaft cluster on loopback, static quorum: combined broker+controller nodes, ids 1..n; or,
 * with `controllers`, dedicated controllers (ids 1..c, in `controllers`) and dedicated brokers
 * (ids c+1.., in `nodes`), as production runs them.
 */
export class RealKafkaCluster {
  readonly nodes: KafkaNode[] = []
  /** Dedicated controllers (ClusterOptions.controllers); `address` is their CONTROLLER listener. */
  readonly controllers: KafkaNode[] = []
  readonly connect: JvmProcess[] = []
  readonly clusterId = clusterId()
  private readonly ws: Workspace
  private readonly jars: string

  private constructor (readonly version: string, label: string) {
    this.ws = new Workspace(label)
    this.jars = jarsDir(version)
  }

  get dir (): string { return this.ws.dir }
  get bootstrap (): string { return this.nodes.map((n) => n.address).join(',') }

  node (id: number): KafkaNode {
    const n = [...this.nodes, ...this.controllers].find((x) => x.id === id)
    if (n === undefined) throw new Error(`no node ${id}`)
    return n
  }

  private readonly taken = new Set<number>()
  /**
   * A free port not yet handed to this cluster: the OS may hand the same just-closed port out
   * twice in a row, and two listeners of one node on one port stop Kafka at start (seen in CI).
   */
  private async port (): Promise<number> {
    for (;;) {
      const p = await freePort()
      if (!this.taken.has(p)) { this.taken.add(p); return p }
    }
  }

  private java (...args: string[]): string[] {
    return [...JVM_OPTS, ...logConfig(this.dir, this.version), '-cp', `${this.jars}/*`, ...args]
  }

  static async start (version: string, opts: ClusterOptions = {}): Promise<RealKafkaCluster> {
    const problem = missingPrerequisite(version)
    if (problem !== undefined) throw new Error(problem)
    const c = new RealKafkaCluster(version, version)
    try {
      await c.boot(opts)
    } catch (err) {
      const tails = [...c.controllers.map((n) => n.jvm), ...c.nodes.map((n) => n.jvm), ...c.connect].map((j) => `--- ${j.name} (last lines)\n${j.tail(30)}`).join('\n')
      await c.stop(false)
      throw new Error(`Kafka ${version} did not start: ${err instanceof Error ? err.message : String(err)}\n${tails}`)
    }
    return c
  }

  private async boot (opts: ClusterOptions): Promise<void> {
    if (opts.controllers !== undefined) { await this.bootSeparated(opts.controllers, opts); return }
    const count = opts.nodes ?? 3
    const ports: Array<[number, number]> = []
    const extra = Object.entries(opts.listeners ?? {})
    const extraPorts: number[][] = []
    for (let i = 0; i < count; i++) {
      ports.push([await this.port(), await this.port()])
      const mine: number[] = []
      for (let j = 0; j < extra.length; j++) mine.push(await this.port())
      extraPorts.push(mine)
    }
    const host = opts.host ?? '127.0.0.1'
    const voters = ports.map(([, cp], i) => `${i + 1}@${host}:${cp}`).join(',')
    const id = this.clusterId
    const heap = `-Xmx${opts.heapMb ?? 256}m`
    const formats: Array<Promise<void>> = []
    for (let i = 0; i < count; i++) {
      const nodeId = i + 1
      const [port, controllerPort] = ports[i]!
      const listeners: Record<string, string> = { PLAINTEXT: `${host}:${port}` }
      extra.forEach(([name], j) => { listeners[name] = `${host}:${extraPorts[i]![j]!}` })
      const client = Object.entries(listeners).map(([name, a]) => `${name}://${a}`).join(',')
      const nodeDir = join(this.dir, `node${nodeId}`)
      mkdirSync(nodeDir, { recursive: true })
      const config = join(nodeDir, 'server.properties')
      writeFileSync(config, properties({
        'process.roles': 'broker,controller',
        'node.id': nodeId,
        'controller.quorum.voters': voters,
        'controller.listener.names': 'CONTROLLER',
        listeners: `${client},CONTROLLER://${host}:${controllerPort}`,
        'advertised.listeners': Object.entries(listeners).map(([name, a]) => `${name}://${opts.advertise?.(name, a) ?? a}`).join(','),
        'listener.security.protocol.map': ['PLAINTEXT:PLAINTEXT', 'CONTROLLER:PLAINTEXT', ...extra.map(([name, protocol]) => `${name}:${protocol}`)].join(','),
        'inter.broker.listener.name': 'PLAINTEXT',
        'log.dirs': join(nodeDir, 'data'),
        'num.partitions': 1,
        'default.replication.factor': 3,
        'min.insync.replicas': 2,
        'offsets.topic.replication.factor': 3,
        'offsets.topic.num.partitions': 3,
        'transaction.state.log.replication.factor': 3,
        'transaction.state.log.min.isr': 2,
        'transaction.state.log.num.partitions': 1,
        ...SMALL_BROKER,
        ...opts.brokerProps,
      }))
      const jvm = new JvmProcess(`kafka-${nodeId}`, this.dir, this.java(heap, 'kafka.Kafka', config), opts.netns === undefined ? [] : ['ip', 'netns', 'exec', opts.netns])
      this.nodes.push({ id: nodeId, port, controllerPort, address: `${host}:${port}`, listeners, jvm })
      formats.push(this.format(nodeId, id, config, opts.formatArgs ?? []))
    }
    await Promise.all(formats)
    for (const n of this.nodes) n.jvm.start()
    await this.waitForBrokers(count, 120_000)
  }

  /** Dedicated controllers 1..c (listener CONTROLLER only), then plain brokers c+1..c+n. */
  private async bootSeparated (count: number, opts: ClusterOptions): Promise<void> {
    if (opts.listeners !== undefined || opts.netns !== undefined || opts.advertise !== undefined) throw new Error('dedicated controllers take no extra listeners, advertise or netns')
    const host = opts.host ?? '127.0.0.1'
    const brokers = opts.nodes ?? 3
    const cports: number[] = []
    for (let i = 0; i < count; i++) cports.push(await this.port())
    const voters = cports.map((p, i) => `${i + 1}@${host}:${p}`).join(',')
    const heap = `-Xmx${opts.heapMb ?? 256}m`
    const common = { 'controller.quorum.voters': voters, 'controller.listener.names': 'CONTROLLER', 'num.recovery.threads.per.data.dir': 1, 'background.threads': 2 }
    const formats: Array<Promise<void>> = []
    const add = (nodeId: number, port: number, props: Record<string, string | number>, into: KafkaNode[]): void => {
      const nodeDir = join(this.dir, `node${nodeId}`)
      mkdirSync(nodeDir, { recursive: true })
      const config = join(nodeDir, 'server.properties')
      writeFileSync(config, properties({ 'node.id': nodeId, ...common, 'log.dirs': join(nodeDir, 'data'), ...props }))
      const jvm = new JvmProcess(`${into === this.controllers ? 'controller' : 'kafka'}-${nodeId}`, this.dir, this.java(heap, 'kafka.Kafka', config))
      const address = `${host}:${port}`
      into.push({ id: nodeId, port, controllerPort: into === this.controllers ? port : 0, address, listeners: { [into === this.controllers ? 'CONTROLLER' : 'PLAINTEXT']: address }, jvm })
      formats.push(this.format(nodeId, this.clusterId, config, opts.formatArgs ?? []))
    }
    cports.forEach((p, i) => {
      add(i + 1, p, { 'process.roles': 'controller', listeners: `CONTROLLER://${host}:${p}`, 'num.network.threads': 1, 'num.io.threads': 2 }, this.controllers)
    })
    for (let i = 0; i < brokers; i++) {
      const port = await this.port()
      add(count + i + 1, port, {
        'process.roles': 'broker',
        listeners: `PLAINTEXT://${host}:${port}`,
        'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        'inter.broker.listener.name': 'PLAINTEXT',
        'num.partitions': 1,
        'default.replication.factor': Math.min(3, brokers),
        'min.insync.replicas': Math.min(2, brokers),
        'offsets.topic.replication.factor': Math.min(3, brokers),
        'offsets.topic.num.partitions': 3,
        ...SMALL_BROKER,
        ...opts.brokerProps,
      }, this.nodes)
    }
    await Promise.all(formats)
    for (const n of [...this.controllers, ...this.nodes]) n.jvm.start()
    await this.waitForBrokers(brokers, 120_000)
  }

  private async format (nodeId: number, id: string, config: string, extra: string[]): Promise<void> {
    const tool = new JvmProcess(`format-${nodeId}`, this.dir, this.java('-Xmx128m', 'kafka.tools.StorageTool', 'format', '-t', id, '-c', config, ...extra))
    tool.start()
    if (await tool.waitExit() !== 0) {
      throw new Error(`StorageTool format of node ${nodeId} failed:\n${tool.tail(20)}`)
    }
  }

  /**
   * Waits until every node's own metadata lists `count` brokers. Asking one node is not enough:
   * each broker learns of the others from the metadata log at its own pace, and a CI run once saw
   * node 1 answer "2 brokers (1,3)" right after another node had listed all three.
   */
  async waitForBrokers (count: number, limitMs: number): Promise<void> {
    const started = Date.now()
    let last = 'no answer yet'
    for (;;) {
      for (const n of [...this.controllers, ...this.nodes]) {
        if (!n.jvm.running) throw new Error(`${n.jvm.name} exited:\n${n.jvm.tail(30)}`)
      }
      let seen = 0
      for (const n of this.nodes) {
        const admin = this.kafka([n.address]).admin()
        try {
          await admin.connect()
          const { brokers } = await admin.describeCluster()
          if (brokers.length < count) {
            last = `node ${n.id} sees ${brokers.length} brokers: ${brokers.map((b) => b.nodeId).join(',')}`
            break
          }
          seen++
        } catch (err) {
          last = `node ${n.id}: ${err instanceof Error ? err.message : String(err)}`
          break
        } finally {
          await admin.disconnect().catch(() => undefined)
        }
      }
      if (seen === this.nodes.length) return
      if (Date.now() - started > limitMs) throw new Error(`fewer than ${count} brokers after ${limitMs}ms: ${last}`)
      await sleep(500)
    }
  }

  /** A kafkajs client for the test's own produce/admin work (its logs are off). */
  kafka (brokers: string[] = this.nodes.map((n) => n.address)): Kafka {
    return new Kafka({ clientId: 'real-kafka-test', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, requestTimeout: 10_000, retry: { retries: 3, initialRetryTime: 200 } })
  }

  /** Starts node `id` again on its formatted storage (after a kill); does not wait. */
  restart (id: number): void {
    this.node(id).jvm.start()
  }

  /**
   * Starts `count` distributed Connect workers of one group (internal topics RF 3) and waits for
   * each to answer GET /health with 200.
   */
  async startConnect (count = 2, opts: { heapMb?: number, props?: Record<string, string | number>, jvmArgs?: string[], auth?: { username: string, password: string }, https?: ConnectHttps } = {}): Promise<ConnectWorker[]> {
    const group = `healthz-connect-${randomBytes(3).toString('hex')}`
    const workers: ConnectWorker[] = []
    for (let k = 1; k <= count; k++) {
      const i = this.connect.length + 1
      const port = await this.port()
      const config = join(this.dir, `connect-${i}.properties`)
      writeFileSync(config, properties({
        'bootstrap.servers': this.bootstrap,
        'group.id': group,
        'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
        'key.converter.schemas.enable': 'false',
        'value.converter.schemas.enable': 'false',
        'config.storage.topic': `${group}-configs`,
        'offset.storage.topic': `${group}-offsets`,
        'status.storage.topic': `${group}-status`,
        'config.storage.replication.factor': 3,
        'offset.storage.replication.factor': 3,
        'status.storage.replication.factor': 3,
        'offset.storage.partitions': 3,
        'status.storage.partitions': 3,
        listeners: `${opts.https === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
        'rest.advertised.host.name': '127.0.0.1',
        'rest.advertised.port': port,
        ...opts.https !== undefined && httpsProps(opts.https),
        'offset.flush.interval.ms': 1000,
        // A departed worker's connectors move at once instead of after 5 minutes.
        'scheduled.rebalance.max.delay.ms': 0,
        ...opts.props,
      }))
      const jvm = new JvmProcess(`connect-${i}`, this.dir, this.java(`-Xmx${opts.heapMb ?? 384}m`, ...opts.jvmArgs ?? [], 'org.apache.kafka.connect.cli.ConnectDistributed', config))
      this.connect.push(jvm)
      workers.push(new ConnectWorker(jvm, port, opts.auth, opts.https?.client))
    }
    for (const w of workers) w.jvm.start()
    for (const w of workers) await w.waitReady(120_000)
    return workers
  }

  /** Every log's last lines, for a failed test's diagnostics. */
  tails (lines = 25): string {
    return [...this.controllers.map((n) => n.jvm), ...this.nodes.map((n) => n.jvm), ...this.connect].map((j) => `--- ${j.name} (${j.running ? 'running' : 'not running'}), last lines:\n${j.tail(lines)}`).join('\n')
  }

  /** Kills every JVM this cluster started; removes the temp dir unless `keep` (a failed test's logs). */
  async stop (keep = false): Promise<void> {
    await Promise.all([...this.connect, ...this.nodes.map((n) => n.jvm), ...this.controllers.map((n) => n.jvm)].map(async (j) => { await j.kill() }))
    this.ws.stopWatchdog()
    if (!keep) rmSync(this.dir, { recursive: true, force: true })
  }
}

/**
 * A Connect REST listener over TLS (`listeners.https.*`, so the worker's own Kafka clients are
 * untouched). Jetty takes keystores, not PEM: a PKCS12 keystore, and for client certificates a
 * PKCS12 truststore made with keytool (openssl's PKCS12 carries no trust anchors Java accepts).
 */
export interface ConnectHttps {
  readonly keystore: string
  readonly password: string
  /** Demands a client certificate signed by a CA in this truststore. */
  readonly truststore?: string
  /** What the test itself presents to this worker's REST API. */
  readonly client: { readonly ca: string, readonly cert?: string, readonly key?: string }
}

function httpsProps (h: ConnectHttps): Record<string, string> {
  return {
    'rest.advertised.listener': 'https',
    'listeners.https.ssl.keystore.location': h.keystore,
    'listeners.https.ssl.keystore.type': 'PKCS12',
    'listeners.https.ssl.keystore.password': h.password,
    'listeners.https.ssl.key.password': h.password,
    ...h.truststore !== undefined && {
      'listeners.https.ssl.client.auth': 'required',
      'listeners.https.ssl.truststore.location': h.truststore,
      'listeners.https.ssl.truststore.type': 'PKCS12',
      'listeners.https.ssl.truststore.password': h.password,
    },
  }
}

export class ConnectWorker {
  private readonly dispatcher: Agent | undefined
  /** `auth`: the basic-auth credentials the test itself uses on this worker's REST API; `tls`: its TLS material. */
  constructor (readonly jvm: JvmProcess, readonly port: number, readonly auth?: { username: string, password: string }, readonly tls?: ConnectHttps['client']) {
    this.dispatcher = tls === undefined ? undefined : new Agent({ connect: tls })
  }

  get url (): string { return `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}` }
  get workerId (): string { return `127.0.0.1:${this.port}` }

  async rest (method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<{ status: number, body: string, json: () => unknown }> {
    const headers: Record<string, string> = {}
    if (body !== undefined) headers['content-type'] = 'application/json'
    if (this.auth !== undefined) headers.authorization = `Basic ${Buffer.from(`${this.auth.username}:${this.auth.password}`).toString('base64')}`
    const res = await request(`${this.url}${path}`, {
      method,
      headers,
      ...(body !== undefined && { body: JSON.stringify(body) }),
      ...(this.dispatcher !== undefined && { dispatcher: this.dispatcher }),
      signal: AbortSignal.timeout(30_000),
    })
    const text = await res.body.text()
    return { status: res.statusCode, body: text, json: () => JSON.parse(text) }
  }

  /**
   * Waits for GET /health (KIP-1017, Kafka >= 3.9) to answer 200: GET / answers as soon as the REST
   * server is up, while /health still says 503 "starting" until the worker joined its group.
   */
  async waitReady (limitMs: number): Promise<void> {
    const started = Date.now()
    let last = 'no answer yet'
    for (;;) {
      if (!this.jvm.running) throw new Error(`${this.jvm.name} exited:\n${this.jvm.tail(30)}`)
      try {
        const res = await this.rest('GET', '/health')
        if (res.status === 200) return
        last = `GET /health answered ${res.status} ${res.body}`
      } catch (err) {
        last = err instanceof Error ? err.message : String(err)
      }
      if (Date.now() - started > limitMs) throw new Error(`${this.jvm.name} not healthy after ${limitMs}ms: ${last}\n${this.jvm.tail(30)}`)
      await sleep(500)
    }
  }
}

export interface ProbeAnswer { status: number, body: string, ms: number }

/**
 * The built agent (dist/cli.js) as its own process beside a real peer, as it runs in a pod:
 * probes go over HTTP to it, so their latency is the real one, not an inject() call's.
 */
export class AgentProcess {
  private out = ''
  private readonly exited: Promise<void>

  private constructor (readonly child: ChildProcess, readonly port: number) {
    child.stdout?.on('data', (d: Buffer) => { this.out += d.toString() })
    child.stderr?.on('data', (d: Buffer) => { this.out += d.toString() })
    this.exited = new Promise((resolve) => { child.once('exit', () => { resolve() }) })
  }

  /** Starts `kafka-healthz` on a free loopback port with `args` and waits for /ping. */
  static async start (args: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (the README's test command does)`)
    const port = await freePort()
    const child = spawn(process.execPath, [CLI, '--host', '127.0.0.1', '--port', String(port), '--shutdown-delay', '0', ...args],
      { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    const a = new AgentProcess(child, port)
    agents.add(a)
    void a.exited.then(() => agents.delete(a))
    const started = Date.now()
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the agent exited with ${child.exitCode}: ${a.output}`)
      try {
        if ((await a.get('/ping')).status === 200) return a
      } catch { /* not listening yet */ }
      if (Date.now() - started > 10_000) throw new Error(`the agent never answered /ping: ${a.output}`)
      await sleep(50)
    }
  }

  get output (): string { return this.out }

  async get (path: string, timeoutMs = 5000): Promise<ProbeAnswer> {
    const t0 = process.hrtime.bigint()
    const res = await request(`http://127.0.0.1:${this.port}${path}`, { signal: AbortSignal.timeout(timeoutMs) })
    const body = await res.body.text()
    return { status: res.statusCode, body, ms: Number(process.hrtime.bigint() - t0) / 1e6 }
  }

  async status (): Promise<{ checks: Record<string, { ok: boolean, reason: string, message: string, lastRun?: { message?: string, details?: unknown } }> }> {
    return JSON.parse((await this.get('/status')).body)
  }

  /**
   * Polls `path` until `accept` holds; returns the answer, how long it took and the slowest probe
   * answer seen meanwhile. Throws with the last answer after `limitMs`.
   */
  async waitFor (path: string, accept: (a: ProbeAnswer) => boolean, limitMs: number, what = 'the expected answer'): Promise<ProbeAnswer & { after: number, slowest: number }> {
    const started = Date.now()
    let slowest = 0
    for (;;) {
      const a = await this.get(path)
      slowest = Math.max(slowest, a.ms)
      if (accept(a)) return { ...a, after: Date.now() - started, slowest }
      if (Date.now() - started > limitMs) throw new Error(`${path} never gave ${what} within ${limitMs}ms; last: ${a.status} ${a.body}`)
      await sleep(50)
    }
  }

  async waitStatus (path: string, status: number, limitMs: number): Promise<ProbeAnswer & { after: number, slowest: number }> {
    return await this.waitFor(path, (a) => a.status === status, limitMs, String(status))
  }

  /** SIGTERM and wait for the exit. */
  async stop (): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => { this.child.kill('SIGKILL') }, 10_000)
    await this.exited
    clearTimeout(timer)
  }
}

const agents = new Set<AgentProcess>()
process.on('exit', () => { for (const a of agents) a.child.kill('SIGKILL') })

/** A tap test (the root or a subtest); tap's CJS build exposes its types in the global `tap` namespace. */
export type Tap = tap.Test

/**
 * One subtest per Kafka version (test/real/kafka-versions). A missing JVM or jar fails the test
 * under CI=true and skips it, saying why, elsewhere.
 */
export function forEachKafkaVersion (t: Tap, name: string, fn: (t: Tap, version: string) => Promise<void>): void {
  // CI=true as GitHub Actions and most runners set it; any value but empty, 0 or false counts.
  const ci = !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase())
  for (const version of kafkaVersions()) {
    const problem = missingPrerequisite(version)
    const title = `Apache Kafka ${version}: ${name}`
    if (problem !== undefined && !ci) {
      t.test(title, { skip: `real Kafka cannot run here: ${problem}` }, async () => {})
      continue
    }
    t.test(title, async (t) => {
      if (problem !== undefined) { t.fail(`real Kafka cannot run here (CI must not skip): ${problem}`); return }
      await fn(t, version)
    })
  }
}
