import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process'
import { existsSync, mkdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'

const ROOT = resolve(__dirname, '..', '..')
const SOURCE = join(ROOT, 'test', 'fixtures', 'mock-cluster.c')
const BINARY = join(ROOT, '.cache', 'mock-cluster')

/**
 * Builds the librdkafka mock-cluster fixture once (it needs Debian's librdkafka-dev and a C
 * compiler, which the README's test command installs). A missing toolchain is a test failure,
 * never a skip: these tests are the proof that the agent speaks real Kafka.
 */
export function buildMockCluster (): string {
  if (existsSync(BINARY) && statSync(BINARY).mtimeMs >= statSync(SOURCE).mtimeMs) return BINARY
  mkdirSync(join(ROOT, '.cache'), { recursive: true })
  try {
    execFileSync('cc', ['-O2', '-Wall', '-o', BINARY, SOURCE, '-lrdkafka'], { stdio: 'pipe' })
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString() ?? String(err)
    throw new Error(`cannot build the librdkafka mock cluster (run the README's test command, which installs librdkafka-dev and cc): ${stderr}`)
  }
  return BINARY
}

/** A running mock cluster of real Kafka-protocol brokers on loopback, ids 1..n. */
export class MockCluster {
  private readonly replies: Array<(line: string) => void> = []

  private constructor (
    private readonly proc: ChildProcessWithoutNullStreams,
    readonly addresses: readonly string[],
    lines: AsyncIterator<string>,
  ) {
    void (async () => {
      for (;;) {
        const next = await lines.next()
        if (next.done === true) return
        this.replies.shift()?.(next.value)
      }
    })()
  }

  static async start (brokers = 3): Promise<MockCluster> {
    const proc = spawn(buildMockCluster(), [String(brokers)], { stdio: ['pipe', 'pipe', 'pipe'] })
    const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]()
    const first = await lines.next()
    if (first.done === true) throw new Error('mock cluster exited before printing its bootstrap list')
    return new MockCluster(proc, first.value.trim().split(','), lines)
  }

  get pid (): number {
    return this.proc.pid ?? -1
  }

  /** The address of broker `id` (1-based, as librdkafka numbers them). */
  address (id: number): string {
    const a = this.addresses[id - 1]
    if (a === undefined) throw new Error(`no broker ${id}`)
    return a
  }

  async command (line: string): Promise<void> {
    const reply = new Promise<string>((resolve) => { this.replies.push(resolve) })
    this.proc.stdin.write(`${line}\n`)
    const answer = await reply
    if (answer !== 'ok') throw new Error(`mock cluster: ${line}: ${answer}`)
  }

  async down (id: number): Promise<void> { await this.command(`down ${id}`) }
  async up (id: number): Promise<void> { await this.command(`up ${id}`) }
  async rtt (id: number, ms: number): Promise<void> { await this.command(`rtt ${id} ${ms}`) }
  async topic (name: string, partitions: number, replicas: number): Promise<void> { await this.command(`topic ${name} ${partitions} ${replicas}`) }
  /** -1 leaves the partition without a leader: the broker answers LEADER_NOT_AVAILABLE for it. */
  async leader (topic: string, partition: number, id: number): Promise<void> { await this.command(`leader ${topic} ${partition} ${id}`) }

  /** Broker `id` answers its next request of `apiKey` with the Kafka error `code` (e.g. ApiVersions 18, REQUEST_TIMED_OUT 7). */
  async error (id: number, apiKey: number, code: number): Promise<void> { await this.command(`error ${id} ${apiKey} ${code}`) }

  /** Freezes every broker: sockets stay open but nothing answers, as with a peer gone without FIN. */
  freeze (): void { this.proc.kill('SIGSTOP') }
  thaw (): void { this.proc.kill('SIGCONT') }

  async stop (): Promise<void> {
    if (this.proc.exitCode !== null) return
    const exited = new Promise((resolve) => this.proc.once('exit', resolve))
    this.proc.kill('SIGCONT')
    this.proc.kill('SIGKILL')
    await exited
  }
}
