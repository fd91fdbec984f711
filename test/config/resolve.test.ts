import t from 'tap'
import { ConfigError, parseOptions } from '../../src/config/parse-options'
import { resolveConfig, type ResolveDeps } from '../../src/config/resolve'

const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY', '/pw': 's3cret:with:colons\n' }
const deps = (hostname?: string): ResolveDeps => ({
  hostname,
  readFile: (p) => {
    const f = files[p]
    if (f === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' })
    return f
  },
})
const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}, hostname?: string) =>
  resolveConfig(parseOptions(['--kafka-brokers', 'localhost:9092', ...argv], env).options, deps(hostname))

t.test('broker id: given, derived from the StatefulSet ordinal, or not checked', async (t) => {
  t.equal(resolve([]).kafka?.brokerId, undefined)
  t.equal(resolve(['--kafka-broker-id', '3']).kafka?.brokerId, 3)
  t.equal(resolve(['--kafka-broker-id', 'auto'], {}, 'kafka-2').kafka?.brokerId, 2)
  t.equal(resolve(['--kafka-broker-id', 'auto', '--kafka-broker-id-offset', '100'], {}, 'kafka-2').kafka?.brokerId, 102)
  t.equal(resolve(['--kafka-broker-id', 'auto', '--pod-name', 'my-kafka-broker-11'], {}, 'ignored-0').kafka?.brokerId, 11)
})

t.test('the broker address is split once, IPv6 brackets removed', async (t) => {
  t.match(resolve([]).kafka, { address: 'localhost:9092', host: 'localhost', port: 9092 })
  const v6 = resolveConfig(parseOptions(['--kafka-brokers', '[fd00::12]:9093'], {}).options, deps())
  t.match(v6.kafka, { address: '[fd00::12]:9093', host: 'fd00::12', port: 9093 })
})

t.test('TLS and SASL from files; a password may contain ":"', async (t) => {
  const c = resolve(['--kafka-tls-ca-file', '/ca.pem', '--kafka-tls-cert-file', '/cert.pem', '--kafka-tls-key-file', '/key.pem',
    '--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-sasl-username', 'agent', '--kafka-sasl-password-file', '/pw'])
  t.same(c.kafka?.tls, { rejectUnauthorized: true, ca: 'CA', cert: 'CERT', key: 'KEY' })
  t.same(c.kafka?.sasl, { mechanism: 'scram-sha-512', username: 'agent', password: 's3cret:with:colons' })
  t.equal(resolve([]).kafka?.tls, undefined)
  t.same(resolve(['--kafka-tls']).kafka?.tls, { rejectUnauthorized: true })
  t.same(resolve(['--kafka-tls-insecure', '--kafka-tls-server-name', 'kafka-0']).kafka?.tls, { rejectUnauthorized: false, servername: 'kafka-0' })
  const env = resolve(['--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u'], { HEALTHZ_KAFKA_SASL_PASSWORD: 'p' })
  t.same(env.kafka?.sasl, { mechanism: 'plain', username: 'u', password: 'p' })
})

t.test('cross-option mistakes: one line naming the option', async (t) => {
  const cases: Array<[string[], NodeJS.ProcessEnv, string | undefined, string]> = [
    [['--timeout', '5s'], {}, undefined, '--timeout: got 5s, expected less than --interval (5s) so runs never overlap'],
    [['--kafka-broker-id', 'one'], {}, undefined, '--kafka-broker-id: got "one", expected a node id (0 or more), "auto" or empty'],
    [['--kafka-broker-id', 'auto'], {}, 'laptop', '--kafka-broker-id: got "auto", expected --pod-name (or $HOSTNAME) to end in a StatefulSet ordinal like kafka-2, but it is "laptop"'],
    [['--kafka-broker-id', 'auto', '--kafka-broker-id-offset', '-5'], {}, 'kafka-2', '--kafka-broker-id-offset: got -5, expected an offset that keeps the node id of "kafka-2" at 0 or more'],
    [['--kafka-tls-cert-file', '/cert.pem'], {}, undefined, '--kafka-tls-key-file: got nothing, expected a file because --kafka-tls-cert-file is set'],
    [['--kafka-tls-key-file', '/key.pem'], {}, undefined, '--kafka-tls-cert-file: got nothing, expected a file because --kafka-tls-key-file is set'],
    [['--kafka-tls-ca-file', '/missing.pem'], {}, undefined, '--kafka-tls-ca-file: got "/missing.pem", expected a readable file (ENOENT)'],
    [['--kafka-sasl-mechanism', 'plain'], {}, undefined, '--kafka-sasl-username: got nothing, expected a username because --kafka-sasl-mechanism is plain'],
    [['--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u'], {}, undefined, 'HEALTHZ_KAFKA_SASL_PASSWORD: got nothing, expected a password (or --kafka-sasl-password-file) because --kafka-sasl-mechanism is plain'],
    [['--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u', '--kafka-sasl-password-file', '/pw'], { HEALTHZ_KAFKA_SASL_PASSWORD: 'x' }, undefined, '--kafka-sasl-password-file: got a file and HEALTHZ_KAFKA_SASL_PASSWORD too, expected only one of them'],
  ]
  for (const [argv, env, host, message] of cases) {
    t.throws(() => resolve(argv, env, host), new ConfigError(message), argv.join(' '))
  }
  t.throws(() => resolveConfig(parseOptions([], {}).options, deps()), new ConfigError('--kafka-brokers: got nothing, expected the host:port of the broker in this pod (nothing to check otherwise)'))
})
