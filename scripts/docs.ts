// Rewrites the option table in README.md from the config schema: `npx tsx scripts/docs.ts`.
import { readFileSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { renderOptionsTable } from '../src/config/describe'

const README = resolve(__dirname, '..', 'README.md')
const START = '<!-- options:start -->'
const END = '<!-- options:end -->'
const text = readFileSync(README, 'utf8')
const a = text.indexOf(START)
const b = text.indexOf(END)
if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} section`)
writeFileSync(README, `${text.slice(0, a + START.length)}\n${renderOptionsTable()}\n${text.slice(b)}`)
