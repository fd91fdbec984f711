// The Dockerfile without Docker (no engine runs on these machines): lint it, hold it to the image
// policy (multi-stage, Node 24, non-root, exec form, labels, HEALTHCHECK), then replay its steps
// in a temp directory — the build context filtered by .dockerignore, every RUN of the build stages
// for real (npm ci, the TypeScript build, the production install), the COPYs between stages — and
// start the final stage's ENTRYPOINT as the image's user on read-only files: /ping and /readyz
// answer, and the HEALTHCHECK command passes.
import t from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, cpSync, existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import { DockerfileParser, type Instruction } from 'dockerfile-ast'
import { validate, ValidationSeverity } from 'dockerfile-utils'
import { SCHEMA } from '../../src/config/schema'
import { collect, freePort, waitHttp } from '../helpers/cli'
import { MockCluster } from '../helpers/mock-cluster'

// The replay runs npm ci twice and a TypeScript build: minutes, not the suite's 60 s per file.
t.setTimeout(300_000)

const ROOT = resolve(__dirname, '..', '..')
const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
const dockerfile = DockerfileParser.parse(text)
const instructions = dockerfile.getInstructions()

interface Stage { name: string, image: string, steps: Instruction[] }
function stages (): Stage[] {
  const out: Stage[] = []
  for (const i of instructions) {
    if (i.getKeyword() === 'FROM') {
      const [image = '', , name = String(out.length)] = i.getArguments().map((a) => a.getValue())
      out.push({ name, image, steps: [] })
    } else {
      out.at(-1)?.steps.push(i)
    }
  }
  return out
}
const args = (i: Instruction): string[] => i.getArguments().map((a) => a.getValue())
const flags = (i: Instruction): Map<string, string> => new Map(('getFlags' in i ? (i as unknown as { getFlags: () => Array<{ getName: () => string, getValue: () => string | null }> }).getFlags() : []).map((f) => [f.getName(), f.getValue() ?? '']))
/** HEALTHCHECK CMD [...] / ENTRYPOINT [...]: the exec-form array, or undefined for shell form. */
function execForm (i: Instruction, skip = 0): string[] | undefined {
  const raw = args(i).slice(skip).join(' ')
  try {
    const parsed: unknown = JSON.parse(raw)
    return Array.isArray(parsed) && parsed.every((s) => typeof s === 'string') ? parsed : undefined
  } catch { return undefined }
}

t.test('dockerfile-utils finds nothing to report', async (t) => {
  // Every rule the linter makes optional, as an error.
  const E = ValidationSeverity.ERROR
  const problems = validate(text, { deprecatedMaintainer: E, instructionCasing: E, instructionCmdMultiple: E, instructionEntrypointMultiple: E, instructionHealthcheckMultiple: E, instructionJSONInSingleQuotes: E, emptyContinuationLine: E })
  t.same(problems.map((p) => `line ${String(p.range.start.line + 1)}: ${typeof p.message === 'string' ? p.message : p.message.value}`), [])
  t.not(validate('FROM node:24\nEXPOSE abc\n').length, 0, 'the linter does report a broken file')
})

t.test('image policy', async (t) => {
  const all = stages()
  const final = all.at(-1)
  if (final === undefined) throw new Error('no FROM')
  t.ok(all.length >= 2, 'multi-stage')
  t.match(final.image, /^gcr\.io\/distroless\/nodejs24-debian12(:nonroot)?(@sha256:[0-9a-f]{64})?$/, 'Node 24 LTS on distroless')
  t.same(final.steps.filter((i) => i.getKeyword() === 'RUN').map(args), [], 'no RUN in the runtime stage: distroless has no shell')

  const user = final.steps.filter((i) => i.getKeyword() === 'USER').map((i) => args(i).join(''))
  t.equal(user.length, 1)
  t.match(user[0], /^[1-9]\d*(:\d+)?$/, 'a numeric non-root user, so runAsNonRoot can verify it')

  const entrypoint = final.steps.find((i) => i.getKeyword() === 'ENTRYPOINT')
  t.ok(entrypoint !== undefined && execForm(entrypoint) !== undefined, 'exec-form ENTRYPOINT: signals reach node')

  const health = final.steps.find((i) => i.getKeyword() === 'HEALTHCHECK')
  t.ok(health !== undefined, 'has a HEALTHCHECK')
  if (health !== undefined) {
    t.equal(args(health)[0], 'CMD')
    t.same(execForm(health, 1)?.slice(-1), ['ping'], 'uses kafka-healthz ping')
  }

  const labels = new Map<string, string>()
  for (const i of final.steps.filter((s) => s.getKeyword() === 'LABEL')) {
    for (const p of (i as unknown as { getProperties: () => Array<{ getName: () => string, getValue: () => string | null }> }).getProperties()) {
      labels.set(p.getName(), p.getValue() ?? '')
    }
  }
  for (const key of ['title', 'description', 'version', 'revision', 'licenses', 'source']) {
    t.ok((labels.get(`org.opencontainers.image.${key}`) ?? '') !== '', `OCI label ${key}`)
  }
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string, license: string }
  t.equal(labels.get('org.opencontainers.image.licenses'), pkg.license)
  const version = dockerfile.getARGs().map((a) => a.getProperty()).find((p) => p?.getName() === 'VERSION')?.getValue()
  t.equal(version, pkg.version, 'the VERSION build arg defaults to package.json\'s version')

  const exposed = final.steps.filter((i) => i.getKeyword() === 'EXPOSE').flatMap(args)
  t.same(exposed, [String(SCHEMA.port.default)], 'EXPOSE matches the default --port')
})

/** .dockerignore with top-level patterns only: "*" then "!name" re-includes, last match wins. */
function contextEntries (): string[] {
  const patterns = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'))
  for (const p of patterns) {
    if (/\/./.test(p.replace(/^!/, ''))) throw new Error(`.dockerignore: ${p}: this test only understands top-level patterns`)
  }
  const name = (p: string): string => p.replace(/^!/, '').replace(/\/$/, '')
  return readdirSync(ROOT).filter((entry) => {
    let included = true
    for (const p of patterns) {
      if (name(p) === '*' || name(p) === entry) included = p.startsWith('!')
    }
    return included
  })
}

t.test('.dockerignore keeps the context to what the build reads', async (t) => {
  const entries = contextEntries()
  t.same(entries.sort(), ['package-lock.json', 'package.json', 'src', 'tsconfig.build.json', 'tsconfig.json'])
  for (const secretish of ['.git', 'node_modules', '.cache', 'dist', 'test']) t.notOk(entries.includes(secretish), `${secretish} stays out`)
})

t.test('replay the build and start what the image would run', async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'kafka-healthz-image-'))
  t.teardown(() => { rmSync(work, { recursive: true, force: true }) })
  const context = join(work, 'context')
  mkdirSync(context)
  for (const entry of contextEntries()) cpSync(join(ROOT, entry), join(context, entry), { recursive: true })

  const roots = new Map<string, string>()
  const all = stages()
  let final: { root: string, workdir: string, env: Record<string, string>, stage: Stage } | undefined
  for (const stage of all) {
    const root = join(work, `stage-${stage.name}`)
    mkdirSync(root)
    roots.set(stage.name, root)
    let workdir = '/'
    const env: Record<string, string> = {}
    const inRoot = (p: string): string => join(root, p.startsWith('/') ? p : join(workdir, p))
    for (const i of stage.steps) {
      const a = args(i)
      switch (i.getKeyword()) {
        case 'WORKDIR':
          workdir = resolve(workdir, a[0] ?? '/')
          mkdirSync(inRoot(workdir), { recursive: true })
          break
        case 'ENV':
          for (const kv of a) { const [k = '', ...v] = kv.split('='); env[k] = v.join('=') }
          break
        case 'COPY': {
          const from = flags(i).get('from')
          const sources = a.slice(0, -1)
          const dest = a.at(-1) ?? ''
          const base = from === undefined ? context : roots.get(from)
          if (base === undefined) throw new Error(`COPY --from=${String(from)}: no such stage`)
          for (const src of sources) {
            const source = join(base, src)
            if (!existsSync(source)) throw new Error(`COPY ${src}: not in the ${from === undefined ? 'build context (.dockerignore?)' : `stage ${from}`}`)
            const intoDir = sources.length > 1 || dest.endsWith('/')
            cpSync(source, intoDir ? join(inRoot(dest), basename(src)) : inRoot(dest), { recursive: true })
          }
          break
        }
        case 'RUN': {
          const run = spawnSync('sh', ['-c', a.join(' ')], { cwd: inRoot(workdir), env: { ...process.env, ...env, CI: 'true', npm_config_prefer_offline: 'true' }, encoding: 'utf8' })
          if (run.status !== 0) throw new Error(`stage ${stage.name}: RUN ${a.join(' ')} failed:\n${run.stdout}\n${run.stderr}`)
          break
        }
      }
    }
    final = { root, workdir, env, stage }
  }
  if (final === undefined) throw new Error('no stages')

  const modules = join(final.root, 'app', 'node_modules')
  t.ok(existsSync(join(modules, 'fastify')) && existsSync(join(modules, 'kafkajs')), 'production dependencies are in')
  for (const dev of ['typescript', 'tap', 'eslint', 'tsx']) t.notOk(existsSync(join(modules, dev)), `no dev dependency ${dev}`)

  // The image's user on files it cannot write: the nearest we get here to runAsNonRoot and a
  // read-only root filesystem. (As root, only a different uid makes permissions bite.)
  const asImageUser = process.getuid?.() === 0
  if (asImageUser) {
    for (let dir = final.root; dir !== tmpdir() && dir !== '/'; dir = resolve(dir, '..')) chmodSync(dir, 0o755)
    const lock = (p: string): void => {
      const s = statSync(p)
      if (s.isDirectory()) { for (const e of readdirSync(p)) lock(join(p, e)); chmodSync(p, 0o555) } else chmodSync(p, 0o444)
    }
    lock(final.root)
    // The runtime image's /nodejs/bin/node: this test's own node, placed where the image has it,
    // because the image's user may not reach the original (the Node 24 run's node lives in the
    // clone's .cache, under a directory only root can enter). A hard link when possible.
    const node = join(final.root, 'nodejs', 'bin', 'node')
    mkdirSync(join(final.root, 'nodejs', 'bin'), { recursive: true, mode: 0o755 })
    try { linkSync(process.execPath, node) } catch { copyFileSync(process.execPath, node) }
  } else {
    t.comment('not root: running as the current user, files writable')
  }
  const user = final.stage.steps.filter((i) => i.getKeyword() === 'USER').map((i) => args(i).join(''))[0] ?? ''
  const [uid, gid] = user.split(':').map(Number)
  const finalRoot = final.root
  // `env -u NODE_OPTIONS`: tap instruments every node it sees spawned (and that would write
  // coverage files as the image's user); the image runs plain node.
  const map = (argv: string[]): string[] => ['-u', 'NODE_OPTIONS', ...argv.map((arg, n) => n === 0 && arg === '/nodejs/bin/node' && !asImageUser ? process.execPath : arg.startsWith('/') ? join(finalRoot, arg) : arg)]

  const entrypoint = final.stage.steps.find((i) => i.getKeyword() === 'ENTRYPOINT')
  const health = final.stage.steps.find((i) => i.getKeyword() === 'HEALTHCHECK')
  const entry = map(entrypoint === undefined ? [] : execForm(entrypoint) ?? [])
  const healthcheck = map(health === undefined ? [] : execForm(health, 1) ?? [])

  const cluster = await MockCluster.start(1)
  t.teardown(async () => { await cluster.stop() })
  const port = await freePort()
  // Configured as a Compose user would: the agent by arguments (`command:`), the port in the
  // environment (Docker runs HEALTHCHECK with the container's environment, never its arguments).
  const env = { PATH: process.env.PATH, ...final.env, HEALTHZ_PORT: String(port) }
  const ids = asImageUser && uid !== undefined && gid !== undefined ? { uid, gid } : {}
  const child = spawn('env', [...entry, '--kafka-brokers', cluster.address(1), '--shutdown-delay', '0'], { cwd: join(finalRoot, final.workdir), env, stdio: ['ignore', 'pipe', 'pipe'], ...ids })
  const exit = collect(child)
  t.teardown(() => { child.kill('SIGKILL') })
  // If the entrypoint dies or never answers, say what it printed rather than only "never answered".
  let output = ''
  child.stdout.on('data', (d: Buffer) => { output += d.toString() })
  child.stderr.on('data', (d: Buffer) => { output += d.toString() })
  const died = exit.then((r) => { throw new Error(`the entrypoint exited (${r.code ?? r.signal ?? '?'}) before it answered`) })
  died.catch(() => {})
  try {
    await Promise.race([(async () => {
      await waitHttp(port, '/ping', 200, 20_000)
      await waitHttp(port, '/readyz', 200, 20_000)
    })(), died])
  } catch (err) {
    throw new Error(`${(err as Error).message}; its output:\n${output.slice(-4000)}`)
  }

  const hc = spawnSync('env', healthcheck, { env, encoding: 'utf8', ...ids })
  t.equal(hc.status, 0, `HEALTHCHECK passes without the container's arguments: ${hc.stdout}${hc.stderr}`)
  const version = spawnSync('env', [...entry, '--version'], { env, encoding: 'utf8', ...ids })
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  t.equal(version.stdout, `${pkg.version}\n`, 'reads its version from the copied package.json')

  child.kill('SIGTERM')
  const r = await exit
  t.equal(r.code, 0, 'SIGTERM to the entrypoint exits 0')
  t.notMatch(r.stdout + r.stderr, /EACCES|EROFS/, 'wrote nothing')
  t.match(r.stdout, 'kafka-healthz stopped')
})
