import t from 'tap'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { parseDocument } from 'yaml'
import { createAgent } from '../src/agent'
import { buildApp } from '../src/http/app'
import { renderOptionsTable } from '../src/config/describe'
import { createLogger } from '../src/log/logger'
import { configFrom } from './helpers/agent'

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

t.test('the README metrics table lists exactly the metrics the agent registers', async (t) => {
  const section = /## Metrics\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? ''
  const rows = [...section.matchAll(/^\| `(kafka_healthz_\w+)` \| (\w+) \|/gm)].map((m) => [m[1] ?? '', m[2] ?? ''])
  t.ok(rows.length >= 10, 'found the table')
  // Every target configured, so every target's metrics are registered.
  const config = configFrom(['--kafka-brokers', '127.0.0.1:1', '--kafka-broker-id', '1', '--kafka-controller', '127.0.0.1:3', '--kafka-controller-id', '1', '--connect-url', 'http://127.0.0.1:2', '--connect-kafka-bootstrap', '127.0.0.1:4'])
  const agent = createAgent(config, { logger: createLogger('silent') })
  t.teardown(agent.close)
  const registered = (await agent.metrics.registry.getMetricsAsJSON())
    .filter((m) => m.name.startsWith('kafka_healthz_'))
    .map((m) => [m.name, String(m.type)])
  t.same(rows.sort(), registered.sort(), 'names and types agree')
})

t.test('every endpoint in the README table is a route', async (t) => {
  const section = /## Endpoints\n([\s\S]*?)\n### /.exec(readme)?.[1] ?? ''
  const paths = [...section.matchAll(/^\| `(\/[^`]*)` \|/gm)].map((m) => (m[1] ?? '').replace('<name>', 'x'))
  t.ok(paths.length >= 8, `found ${paths.length} endpoints`)
  const config = configFrom(['--kafka-brokers', '127.0.0.1:1', '--connect-url', 'http://127.0.0.1:2'])
  const agent = createAgent(config, { logger: createLogger('silent') })
  const app = buildApp({ agent, logger: createLogger('silent') })
  t.teardown(async () => { await app.close(); await agent.close() })
  const index = (await app.inject({ url: '/' })).body
  for (const path of paths) {
    const res = await app.inject({ url: path })
    t.ok(res.statusCode !== 404 || path.startsWith('/connectors/'), `${path} is served (${res.statusCode})`)
    t.match(index, path.replace('/x', '/'), `${path} is in the agent's own index`)
  }
})

t.test('every YAML example in the README parses', async (t) => {
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? '')
  t.ok(blocks.length >= 5)
  for (const block of blocks) {
    const doc = parseDocument(block)
    t.same(doc.errors.map((e) => e.message), [], block.split('\n')[0] ?? '')
  }
})
