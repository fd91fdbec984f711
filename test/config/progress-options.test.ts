// Sink progress options: one contiguous block of the Connect options, the broker's TLS/SASL
// options reused for the cluster's bootstrap servers, and no broker checks on a Connect pod.
import t from 'tap'
import { ConfigError, parseOptions } from '../../src/config/parse-options'
import { resolveConfig, type ResolveDeps } from '../../src/config/resolve'
import { createAgent } from '../../src/agent'
import { buildApp } from '../../src/http/app'
import { createLogger } from '../../src/log/logger'

const files: Record<string, string> = { '/ca.pem': 'CA', '/pw': 'pw-secret\n' }
const deps: ResolveDeps = {
  hostname: undefined,
  localAddresses: () => [],
  readFile: (p) => {
    const f = files[p]
    if (f === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' })
    return f
  },
}
const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}) => resolveConfig(parseOptions(['--connect-url', 'http://connect:8083', ...argv], env).options, deps)

t.test('off without bootstrap servers or with --connect-progress=off; defaults otherwise', async (t) => {
  t.equal(resolve([]).connect?.progress, undefined)
  t.equal(resolve(['--connect-kafka-bootstrap', 'k:9092', '--connect-progress', 'off']).connect?.progress, undefined)
  t.same(resolve(['--connect-kafka-bootstrap', 'kafka-0.kafka:9092, [fd00::1]:9093']).connect?.progress, {
    access: { brokers: ['kafka-0.kafka:9092', '[fd00::1]:9093'], clientId: 'kafka-healthz', tls: undefined, sasl: undefined },
    policy: 'status', window: 10, every: 3, allowedLag: 1, exclude: [],
  })
  t.match(resolve(['--connect-kafka-bootstrap', 'k:9092', '--connect-progress', 'readiness', '--connect-progress-window', '5',
    '--connect-progress-every', '3', '--connect-progress-allowed-lag', '100']).connect?.progress, { policy: 'readiness', window: 5, every: 3, allowedLag: 100 })
})

t.test('the bootstrap servers get the --kafka-tls-* and --kafka-sasl-* security, and no broker checks start', async (t) => {
  const argv = ['--connect-kafka-bootstrap', 'k:9093', '--kafka-tls-ca-file', '/ca.pem',
    '--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-sasl-username', 'agent', '--kafka-sasl-password-file', '/pw']
  const c = resolve(argv)
  t.equal(c.kafka, undefined, 'no local broker target')
  t.same(c.connect?.progress?.access, { brokers: ['k:9093'], clientId: 'kafka-healthz', tls: { rejectUnauthorized: true, ca: 'CA' }, sasl: { mechanism: 'scram-sha-512', username: 'agent', password: 'pw-secret' } })
  const agent = createAgent(c, { logger: createLogger('silent') })
  t.teardown(agent.close)
  t.same(agent.runner.names.sort(), ['connect-ready', 'connect-worker', 'connectors', 'sink-progress'], 'no reachable/registered/in-sync, not even kafka-files')
  t.notMatch(JSON.stringify(agent.probes), /reachable/)
})

t.test('mistakes name the flag, the value and what was expected', async (t) => {
  t.throws(() => resolveConfig(parseOptions(['--kafka-brokers', 'k:9092', '--connect-kafka-bootstrap', 'k:9092'], {}).options, deps),
    new ConfigError('--connect-kafka-bootstrap: got k:9092, expected --connect-url too (sink progress judges the connectors of a Connect worker)'))
  t.throws(() => parseOptions(['--connect-kafka-bootstrap', 'SASL_SSL://user:pw@k:9092'], {}), /--connect-kafka-bootstrap: got .*expected a comma-separated list of host:port/)
  t.throws(() => resolve(['--connect-kafka-bootstrap', 'k:9092', '--kafka-sasl-mechanism', 'plain']), /--kafka-sasl-username: got nothing/)
  t.throws(() => parseOptions(['--connect-progress', 'always'], {}), /--connect-progress: got "always", expected one of off, status, readiness/)
  t.throws(() => parseOptions(['--connect-progress-window', '1'], {}), /expected an integer from 2 to 100/)
})

t.test('a progress option without bootstrap servers is a mistake, not a silent no-op', async (t) => {
  t.throws(() => resolve(['--connect-progress', 'readiness']),
    new ConfigError('--connect-progress: set without --connect-kafka-bootstrap, expected the Kafka cluster\'s bootstrap servers too (sink progress is off without them)'))
  t.throws(() => resolve([], { HEALTHZ_CONNECT_PROGRESS_WINDOW: '20' }), /^HEALTHZ_CONNECT_PROGRESS_WINDOW: set without --connect-kafka-bootstrap/, 'named as the person set it')
  t.throws(() => resolve(['--connect-progress-exclude', 'hdfs-*']), /--connect-progress-exclude: set without/)
  t.equal(resolve(['--connect-progress', 'off']).connect?.progress, undefined, 'turning it off says what is true anyway: no error')
  t.equal(resolve([], { HEALTHZ_CONNECT_PROGRESS: 'status', HEALTHZ_CONNECT_PROGRESS_EXCLUDE: '', HEALTHZ_CONNECT_PROGRESS_WINDOW: '10' }).connect?.progress, undefined,
    'a chart that sets every variable to its default: no error')
  t.equal(resolve([]).connect?.progress, undefined, 'defaults alone: off, no error')
})

t.test('the SASL password is a secret: not in /status', async (t) => {
  const c = resolve(['--connect-kafka-bootstrap', 'k:9092', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u'], { HEALTHZ_KAFKA_SASL_PASSWORD: 'hunter2' })
  t.equal(c.connect?.progress?.access.sasl?.mechanism, 'plain')
  const agent = createAgent(c, { logger: createLogger('silent') })
  const app = buildApp({ agent, logger: createLogger('silent') })
  t.teardown(async () => { await app.close(); await agent.close() })
  const status = (await app.inject({ url: '/status' })).body
  t.match(status, '"connectKafkaBootstrap"')
  t.notMatch(status, 'hunter2')
})
