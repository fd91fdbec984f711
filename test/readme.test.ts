import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderOptionsTable } from '../src/config/describe'

const readme = readFileSync(resolve(__dirname, '..', 'README.md'), 'utf8')

t.test('the README option table is the schema (regenerate: npx tsx scripts/docs.ts)', async (t) => {
  const m = /<!-- options:start -->\n([\s\S]*?)\n<!-- options:end -->/.exec(readme)
  t.ok(m, 'README has an options section')
  t.equal(m?.[1], renderOptionsTable())
})

t.test('the README opens with the two commands', async (t) => {
  const firstBlock = /```(?:bash|sh)\n([\s\S]*?)```/.exec(readme)?.[1] ?? ''
  t.match(firstBlock, 'bash scripts/demo.sh')
  t.match(firstBlock, 'bash scripts/test.sh')
})
