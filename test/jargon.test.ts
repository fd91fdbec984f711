// Issue 17: what a user reads carries no internal jargon (the project's seed documents are ours,
// not theirs).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'

const ROOT = resolve(__dirname, '..')

t.test('no "seed" jargon in user-facing files', async (t) => {
  const files = execFileSync('git', ['ls-files', 'README.md', 'src', 'k8s', 'deploy', 'scripts', 'Dockerfile'], { cwd: ROOT, encoding: 'utf8' }).split('\n').filter((f) => f !== '')
  t.ok(files.length > 20, `${files.length} files read`)
  for (const file of files) {
    const text = readFileSync(resolve(ROOT, file), 'utf8')
    t.notMatch(text, /\bseed( \d{3}|'s|:)/i, file)
  }
})
