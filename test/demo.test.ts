// The README's first command, driven as a person (or a script) would: `help`, then `quit` with
// stdin piped, and a clear message when the port is taken (issue 17, item 6).
import t from 'tap'
import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { freePort } from './helpers/cli'

const ROOT = resolve(__dirname, '..')

async function demo (port: number, input: string): Promise<{ code: number | null, out: string }> {
  const child = spawn(process.execPath, [resolve(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), resolve(ROOT, 'scripts', 'demo.ts')],
    { cwd: ROOT, env: { ...process.env, HEALTHZ_PORT: String(port) }, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.on('data', (d: Buffer) => { out += d.toString() })
  child.stderr.on('data', (d: Buffer) => { out += d.toString() })
  child.stdin.end(input)
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  return { code, out }
}

t.test('help, then quit from a pipe: the demo stops cleanly and says where the agent logs', async (t) => {
  const r = await demo(await freePort(), 'help\nquit\n')
  t.equal(r.code, 0, r.out)
  t.equal(r.out.split('help                  this list').length - 1, 2, 'the fault list at start and again for help')
  t.match(r.out, /agent log: {10}tail -f .*demo-agent\.log/)
  t.notMatch(r.out, '"level":', 'no agent log lines in the prompt')
})

t.test('a port already in use: one line naming the override, exit 1', async (t) => {
  const port = await freePort()
  const busy = createServer()
  await new Promise<void>((resolve) => busy.listen(port, '127.0.0.1', resolve))
  t.teardown(() => { busy.close() })
  const r = await demo(port, '')
  t.equal(r.code, 1)
  t.equal(r.out, `port ${port} is already in use (another demo or agent?). Pick another: HEALTHZ_PORT=18091 bash scripts/demo.sh\n`)
})
