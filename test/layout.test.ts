// The layout the README describes ("How it is built"): one folder per target, each importing
// only core, metrics and config, never another target; core imports no target.
import t from 'tap'
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'

const SRC = resolve(__dirname, '..', 'src')
const TARGET_DIRS = ['kafka', 'connect', 'controller']

function sources (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [])
}

/** The top-level folder under src/ of every relative import of `file`. */
function importedFolders (file: string): string[] {
  const text = readFileSync(file, 'utf8')
  return [...text.matchAll(/(?:from|import)\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => {
    const target = relative(SRC, resolve(file, '..', m[1] ?? ''))
    return target.includes('/') ? (target.split('/')[0] ?? '') : '(root)'
  })
}

t.test('a target folder imports only core, metrics, config and itself', async (t) => {
  for (const dir of TARGET_DIRS) {
    const files = sources(join(SRC, dir))
    t.ok(files.length > 3, `${dir}/ has its files`)
    for (const file of files) {
      // kafka/ is the Kafka client seam too: other targets may use it, through seam.ts alone.
      const bad = importedFolders(file).filter((f) => ![dir, 'core', 'metrics', 'config', 'kafka'].includes(f))
      t.same(bad, [], relative(SRC, file))
    }
  }
})

t.test('other targets reach Kafka only through kafka/seam.ts, so a kafkajs swap touches kafka/ alone', async (t) => {
  for (const dir of TARGET_DIRS.filter((d) => d !== 'kafka')) {
    for (const file of sources(join(SRC, dir))) {
      const text = readFileSync(file, 'utf8')
      const bad = [...text.matchAll(/(?:from|import)\s*['"](\.{1,2}\/[^'"]+)['"]/g)]
        .map((m) => relative(SRC, resolve(file, '..', m[1] ?? '')))
        .filter((p) => p.startsWith('kafka/') && p !== 'kafka/seam')
      t.same(bad, [], relative(SRC, file))
    }
  }
  for (const file of sources(SRC)) {
    if (relative(SRC, file).startsWith('kafka/')) continue
    t.notMatch(readFileSync(file, 'utf8'), /from ['"]kafkajs/, `${relative(SRC, file)} does not import kafkajs`)
  }
})

t.test('core imports no target, and neither do metrics or config', async (t) => {
  for (const dir of ['core', 'metrics', 'config']) {
    for (const file of sources(join(SRC, dir))) {
      const bad = importedFolders(file).filter((f) => TARGET_DIRS.includes(f) || f === '(root)' || f === 'http')
      t.same(bad, [], relative(SRC, file))
    }
  }
})

t.test('createAgent names no target: targets are assembled in src/targets.ts alone', async (t) => {
  const agent = readFileSync(join(SRC, 'agent.ts'), 'utf8')
  for (const dir of TARGET_DIRS) t.notMatch(agent, new RegExp(`from '\\./${dir}/`), `agent.ts imports nothing from ${dir}/`)
  t.notMatch(agent, /config\.(kafka|connect)\b/, 'no target-specific branch')
})
