// `bash scripts/demo.sh --real` (issue 12): the demo against real Kafka starts a cluster and a
// worker, the agent beside them becomes ready, and `quit` from a pipe stops everything.
import t from 'tap'
import { spawn } from 'node:child_process'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'
import { freePort } from '../helpers/cli'
import { kafkaVersions, missingPrerequisite } from '../helpers/real-kafka'

const ROOT = resolve(__dirname, '..', '..')

const problem = missingPrerequisite(kafkaVersions()[0] ?? '')
const skip = problem !== undefined && process.env.CI !== 'true' ? `real Kafka cannot run here: ${problem}` : false

t.test('the real-Kafka demo comes up ready and quits from a pipe', { skip }, async (t) => {
  if (problem !== undefined) {
    t.fail(`real Kafka cannot run here (CI must not skip): ${problem}`)
    return
  }
  const port = await freePort()
  const child = spawn(process.execPath, [resolve(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), resolve(ROOT, 'scripts', 'demo-real.ts')],
    { cwd: ROOT, env: { ...process.env, HEALTHZ_PORT: String(port) }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGTERM') })

  const started = Date.now()
  let ready = ''
  while (Date.now() - started < 180_000 && child.exitCode === null) {
    try {
      const res = await request(`http://127.0.0.1:${port}/readyz?verbose`)
      ready = await res.body.text()
      if (res.statusCode === 200) break
    } catch { /* not listening yet */ }
    await sleep(1000)
  }
  t.match(ready, 'readyz check passed', `ready: ${ready}`)
  t.match(ready, '[+]connectors ok')
  child.stdin.end('help\nquit\n')
  t.equal(await exited, 0, out.slice(-2000))
  t.match(out, `kafka-healthz demo against Apache Kafka ${kafkaVersions()[0] ?? ''}`)
})
