// The release workflow (.github/workflows/release.yml) without GitHub: actionlint finds nothing
// in it (and does find a planted mistake), it builds the Dockerfile for amd64 and arm64 on a
// version tag with an SBOM and provenance, its version guard passes the tag package.json names
// and refuses others, and the image it pushes is the one k8s/, deploy/ and the README pull.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { delimiter, join, relative, resolve } from 'node:path'
import { parse } from 'yaml'

const ROOT = resolve(__dirname, '..', '..')
const WORKFLOWS = join(ROOT, '.github', 'workflows')
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }

interface Step { id?: string, name?: string, uses?: string, run?: string, with?: Record<string, string | boolean | number>, env?: Record<string, string> }
interface Job { permissions?: Record<string, string>, steps: Step[] }
interface Workflow { on: { push?: { tags?: string[], branches?: string[] } }, permissions?: Record<string, string>, env?: Record<string, string>, jobs: Record<string, Job> }

const release = parse(readFileSync(join(WORKFLOWS, 'release.yml'), 'utf8')) as Workflow
const steps = Object.values(release.jobs).flatMap((j) => j.steps)
const step = (action: string): Step | undefined => steps.find((s) => s.uses?.split('@')[0] === action)
const IMAGE = release.env?.IMAGE ?? ''

/** actionlint from setup.sh's .cache/bin, else from PATH; undefined when neither has it. */
function actionlint (): string | undefined {
  const local = join(ROOT, '.cache', 'bin', 'actionlint')
  if (existsSync(local)) return local
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir !== '' && existsSync(join(dir, 'actionlint'))) return join(dir, 'actionlint')
  }
  return undefined
}

t.test('actionlint finds nothing to report in the workflows', async (t) => {
  const bin = actionlint()
  if (bin === undefined) {
    // Under CI a missing linter is a broken setup, not a reason to pass.
    if (process.env.CI === 'true') t.fail('actionlint is not installed (scripts/setup.sh builds it into .cache/bin with Go)')
    else t.plan(0, 'actionlint is not installed: bash scripts/setup.sh builds it with Go')
    return
  }
  const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f))
  t.ok(files.length >= 1)
  // shellcheck and pyflakes are used for run: scripts when on PATH; actionlint skips them otherwise.
  const lint = spawnSync(bin, ['-no-color', ...files], { cwd: ROOT, encoding: 'utf8' })
  t.equal(lint.error, undefined, 'actionlint ran')
  t.equal(lint.stdout + lint.stderr, '', 'no findings')
  t.equal(lint.status, 0)

  // And it does report a broken workflow (so the pass above means something).
  const dir = mkdtempSync(join(tmpdir(), 'actionlint-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  mkdirSync(join(dir, '.github', 'workflows'), { recursive: true })
  const broken = join(dir, '.github', 'workflows', 'broken.yml')
  writeFileSync(broken, readFileSync(join(WORKFLOWS, 'release.yml'), 'utf8').replace('steps.meta.outputs.tags', 'steps.meta.outputs.tagz').replace('runs-on: ubuntu-latest', 'runs-on: ubuntu-lastest'))
  const bad = spawnSync(bin, ['-no-color', broken], { cwd: dir, encoding: 'utf8' })
  t.equal(bad.status, 1, 'a planted mistake fails the lint')
  t.match(bad.stdout, 'ubuntu-lastest', 'and is named')
})

/** A GitHub Actions filter pattern (*, **, ?, +, [...]) as a regular expression. */
function filterPattern (glob: string): RegExp {
  const re = glob.replace(/[.^$|(){}\\]/g, '\\$&').replace(/\*\*|\*/g, (m) => (m === '**' ? '.*' : '[^/]*'))
  return new RegExp(`^${re}$`)
}

t.test('runs on version tags only, with no more rights than it needs', async (t) => {
  const tags = release.on.push?.tags ?? []
  t.ok(tags.length >= 1, 'on push of tags')
  t.equal(release.on.push?.branches, undefined, 'not on branch pushes')
  t.same(Object.keys(release.on), ['push'], 'no other trigger')
  const matches = (tag: string): boolean => tags.some((p) => filterPattern(p).test(tag))
  t.ok(matches(`v${pkg.version}`), `v${pkg.version} (package.json) starts a release`)
  t.ok(matches('v1.2.3-rc.1'), 'a pre-release tag does too')
  for (const other of ['main', 'latest', '1.2.3', 'vnext']) t.notOk(matches(other), `${other} does not`)

  t.same(release.permissions, {}, 'no default permissions')
  for (const [name, job] of Object.entries(release.jobs)) {
    t.same(job.permissions, { contents: 'read', packages: 'write' }, `${name}: read the code, write the package`)
  }
})

t.test('pins every action by major version at least', async (t) => {
  const uses = steps.flatMap((s) => s.uses ?? [])
  t.ok(uses.length >= 5)
  for (const u of uses) t.match(u, /^[\w-]+\/[\w-]+@(v\d+(\.\d+){0,2}|[0-9a-f]{40})$/, u)
})

t.test('builds both architectures, with an SBOM, provenance and semver tags', async (t) => {
  for (const action of ['actions/checkout', 'docker/setup-qemu-action', 'docker/setup-buildx-action', 'docker/login-action', 'docker/metadata-action', 'docker/build-push-action']) {
    t.ok(step(action), `uses ${action}`)
  }
  const order = steps.map((s) => s.uses?.split('@')[0])
  t.ok(order.indexOf('docker/setup-qemu-action') < order.indexOf('docker/build-push-action'), 'QEMU before the build (arm64 on an amd64 runner)')
  t.ok(order.indexOf('docker/setup-buildx-action') < order.indexOf('docker/build-push-action'), 'buildx before the build (multi-platform, attestations)')

  const login = step('docker/login-action')?.with ?? {}
  t.equal(login.registry, IMAGE.split('/')[0], 'logs in to the registry the image lives in')

  const meta = step('docker/metadata-action')
  t.equal(meta?.with?.images, '${{ env.IMAGE }}')
  const tagRules = String(meta?.with?.tags ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '')
  t.ok(tagRules.length >= 1 && tagRules.every((l) => l.startsWith('type=semver,')), 'tags by semver only (no branch or sha tags)')
  t.ok(tagRules.some((l) => l.includes('pattern={{version}}')), 'the exact version is always a tag')
  t.match(String(meta?.with?.flavor ?? ''), 'latest=false', 'never "latest"')

  const build = step('docker/build-push-action')?.with ?? {}
  t.same(String(build.platforms).split(',').sort(), ['linux/amd64', 'linux/arm64'])
  t.equal(build.push, true)
  t.equal(build.sbom, true, 'SBOM attestation')
  t.equal(build.provenance, 'mode=max', 'full provenance attestation')
  t.equal(build.tags, `\${{ steps.${meta?.id ?? '?'}.outputs.tags }}`)
  t.equal(build.labels, `\${{ steps.${meta?.id ?? '?'}.outputs.labels }}`)
  t.equal(build.context ?? '.', '.', 'the repository root, whose Dockerfile and .dockerignore the Dockerfile test checks')

  // The build args it passes are ARGs the Dockerfile declares (a typo would be silently ignored).
  const dockerfileArgs = [...readFileSync(join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^ARG (\w+)/gm)].map((m) => m[1])
  for (const line of String(build['build-args'] ?? '').split('\n').filter((l) => l.trim() !== '')) {
    t.ok(dockerfileArgs.includes(line.trim().split('=')[0]), `build arg ${line.trim()} is an ARG of the Dockerfile`)
  }
})

t.test('the version guard passes the tag package.json names, and only that', async (t) => {
  const guard = steps.find((s) => s.run?.includes('package.json') === true)
  if (guard?.run === undefined) throw new Error('no step compares the tag with package.json')
  t.equal(guard.env?.TAG, '${{ github.ref_name }}')
  const run = (tag: string): number | null => spawnSync('bash', ['-e', '-c', guard.run ?? ''], { cwd: ROOT, env: { PATH: process.env.PATH, TAG: tag }, encoding: 'utf8' }).status
  t.equal(run(`v${pkg.version}`), 0, `v${pkg.version} passes`)
  t.equal(run('v99.0.0'), 1, 'another version fails the release before anything is pushed')
  const guardAt = steps.indexOf(guard)
  t.ok(guardAt < steps.findIndex((s) => s.uses?.startsWith('docker/build-push-action') === true), 'before the build')
})

/** Every file a user copies an image reference from: manifests, deploy examples, the README. */
function deployFiles (): string[] {
  const walk = (dir: string): string[] => existsSync(dir)
    ? readdirSync(dir).flatMap((e) => statSync(join(dir, e)).isDirectory() ? walk(join(dir, e)) : /\.ya?ml$/.test(e) ? [join(dir, e)] : [])
    : []
  return [...walk(join(ROOT, 'k8s')), ...walk(join(ROOT, 'deploy')), join(ROOT, 'README.md')]
}

t.test('one image name everywhere: the workflow, k8s/, deploy/, the README and the Dockerfile', async (t) => {
  t.match(IMAGE, /^ghcr\.io\/[a-z0-9-]+\/kafka-healthz$/, `the workflow pushes ${IMAGE}`)

  const kustomization = parse(readFileSync(join(ROOT, 'k8s', 'kustomization.yaml'), 'utf8')) as { images?: Array<{ name: string, newName?: string, newTag?: string }> }
  const entry = kustomization.images?.find((i) => i.name.endsWith('/kafka-healthz'))
  t.equal(entry?.name, IMAGE, 'k8s/kustomization.yaml images: name')
  t.equal(entry?.newName ?? entry?.name, IMAGE, 'k8s/kustomization.yaml images: newName')
  t.equal(entry?.newTag, pkg.version, 'k8s/kustomization.yaml images: newTag is package.json\'s version')

  // Every reference to a kafka-healthz image, in whatever file, is this image at this version.
  let refs = 0
  for (const file of deployFiles()) {
    // ($REGISTRY/kafka-healthz, a build of your own, is not a reference to the published image.)
    for (const m of readFileSync(file, 'utf8').matchAll(/(?<![\w.$/-])[\w.-]+(?:\/[\w.-]+)*\/kafka-healthz:[\w.-]+/g)) {
      refs++
      t.equal(m[0], `${IMAGE}:${pkg.version}`, `${relative(ROOT, file)}: ${m[0]}`)
    }
  }
  t.ok(refs >= 5, `${refs} image references found`)

  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const quickStart = /## Quick start[^\n]*\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? ''
  t.match(quickStart, `${IMAGE}:${pkg.version}`, 'the README quick start names the published image')
  t.match(quickStart, '.github/workflows/release.yml', 'and says where it comes from')

  // ghcr.io links a package to its repository through this label, so it must name the same owner.
  const source = /org\.opencontainers\.image\.source="https:\/\/github\.com\/([^"]+)"/.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'))?.[1]
  t.equal(`ghcr.io/${String(source)}`, IMAGE, 'the Dockerfile\'s source label is the repository the image belongs to')
})
