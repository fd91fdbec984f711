import t from 'tap'
import { ConfigError, parseOptions } from '../../src/config/parse-options'
import { resolveConfig, type ResolveDeps } from '../../src/config/resolve'

const URL_EXPECTED = 'an http:// or https:// URL without user:password, query or fragment, e.g. http://localhost:8083 (credentials: --connect-username and HEALTHZ_CONNECT_PASSWORD or --connect-password-file)'
const files: Record<string, string> = { '/ca.pem': 'CA', '/cert.pem': 'CERT', '/key.pem': 'KEY', '/pw': 's3cret:with:colons\n' }
const deps = (hostname?: string): ResolveDeps => ({
  hostname,
  localAddresses: () => ['127.0.0.1', '10.1.2.3'],
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
  t.throws(() => resolveConfig(parseOptions([], {}).options, deps()), new ConfigError('--kafka-brokers: got nothing, expected the host:port of the broker in this pod, or --kafka-controller, or --connect-url (nothing to check otherwise)'))
})

const connect = (argv: string[], env: NodeJS.ProcessEnv = {}, hostname?: string) =>
  resolveConfig(parseOptions(['--connect-url', 'http://localhost:8083/', ...argv], env).options, deps(hostname))

t.test('Connect alone is enough; defaults', async (t) => {
  const c = connect([])
  t.equal(c.kafka, undefined)
  t.match(c.connect, { url: 'http://localhost:8083', auth: undefined, headers: {}, tls: undefined, selectors: [], scope: { kind: 'all' }, healthyStates: ['RUNNING'], transitionGraceMs: 60_000 })
})

t.test('Connect credentials, headers, TLS and worker scope', async (t) => {
  t.same(connect(['--connect-username', 'u', '--connect-password-file', '/pw']).connect?.auth, { username: 'u', password: 's3cret:with:colons' })
  t.same(connect(['--connect-username', 'u'], { HEALTHZ_CONNECT_PASSWORD: 'a:b' }).connect?.auth, { username: 'u', password: 'a:b' })
  t.same(connect([], { HEALTHZ_CONNECT_HEADERS: 'Authorization: Bearer x:y\n\nX-Tenant:  blue ' }).connect?.headers, { authorization: 'Bearer x:y', 'x-tenant': 'blue' })
  files['/headers'] = 'X-One: 1\r\nX-Two: 2\n'
  t.same(connect(['--connect-headers-file', '/headers']).connect?.headers, { 'x-one': '1', 'x-two': '2' })
  t.same(connect(['--connect-tls-ca-file', '/ca.pem', '--connect-tls-cert-file', '/cert.pem', '--connect-tls-key-file', '/key.pem']).connect?.tls,
    { rejectUnauthorized: true, ca: 'CA', cert: 'CERT', key: 'KEY' })
  t.same(connect(['--connect-tls-insecure']).connect?.tls, { rejectUnauthorized: false })
  t.same(connect(['--connect-worker-id', 'Connect-0.connect:8083']).connect?.scope, { kind: 'exact', workerId: 'connect-0.connect:8083' })
  t.same(connect(['--connect-worker-id', '[fd00::1]:8083']).connect?.scope, { kind: 'exact', workerId: '[fd00::1]:8083' })
  t.same(connect(['--connect-worker-id', 'auto', '--pod-name', 'connect-0'], {}, 'connect-0').connect?.scope, { kind: 'auto', hosts: ['127.0.0.1', '10.1.2.3', 'connect-0'] })
  t.same(connect(['--connectors', 's3-*, jdbc-source,', '--connect-healthy-states', 'RUNNING,PAUSED']).connect?.selectors, ['s3-*', 'jdbc-source'])
})

t.test('Connect mistakes: one line naming the option, never a secret', async (t) => {
  const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
    [['--connect-url', 'localhost:8083'], {}, '--connect-url: got "localhost:8083", expected an http:// or https:// URL without user:password, query or fragment, e.g. http://localhost:8083'],
    // Never echoed: what may be a secret in a URL (issue 11 #5).
    [['--connect-url', 'http://u:p@localhost:8083'], {}, `--connect-url: got "http://<redacted>@localhost:8083", expected ${URL_EXPECTED}`],
    [[], { HEALTHZ_CONNECT_URL: 'http://admin:Secret@host:8083' }, `HEALTHZ_CONNECT_URL: got "http://<redacted>@host:8083", expected ${URL_EXPECTED}`],
    [[], { HEALTHZ_CONNECT_URL: 'https://admin:p@ss@host:8083/x' }, `HEALTHZ_CONNECT_URL: got "https://<redacted>@host:8083/x", expected ${URL_EXPECTED}`],
    [['--connect-url', 'http://localhost:8083/?token=abc'], {}, `--connect-url: got "http://localhost:8083/?<redacted>", expected ${URL_EXPECTED}`],
    [['--connect-url', 'http://localhost:8083/#token=abc'], {}, `--connect-url: got "http://localhost:8083/#<redacted>", expected ${URL_EXPECTED}`],
    [['--kafka-brokers', 'SASL_SSL://user:pw@kafka-0:9092'], {}, '--kafka-brokers: got "SASL_SSL://<redacted>@kafka-0:9092", expected host:port, e.g. localhost:9092 or [::1]:9092'],
    [['--kafka-brokers', 'user:pw@kafka-0:9092'], {}, '--kafka-brokers: got "<redacted>@kafka-0:9092", expected host:port, e.g. localhost:9092 or [::1]:9092'],
    [['--connect-healthy-states', 'RUNNING,running'], {}, '--connect-healthy-states: got "RUNNING,running", expected a comma-separated list of RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED, RESTARTING'],
    [['--connect-unhealthy-tolerance', '101'], {}, '--connect-unhealthy-tolerance: got "101", expected an integer from 0 to 100'],
    [['--connect-worker-id', 'connect-0'], {}, '--connect-worker-id: got "connect-0", expected host:port as in the worker_id of /connectors/<name>/status, "auto" or empty'],
    [[], { HEALTHZ_CONNECT_PASSWORD: 'pw' }, '--connect-username: got nothing, expected a username because a Connect password is set'],
    [['--connect-username', 'a:b'], { HEALTHZ_CONNECT_PASSWORD: 'pw' }, '--connect-username: got "a:b", expected a username without ":"'],
    [['--connect-username', 'u', '--connect-password-file', '/pw'], { HEALTHZ_CONNECT_PASSWORD: 'pw' }, '--connect-password-file: got a file and HEALTHZ_CONNECT_PASSWORD too, expected only one of them'],
    [['--connect-headers-file', '/headers'], { HEALTHZ_CONNECT_HEADERS: 'X: 1' }, '--connect-headers-file: got a file and HEALTHZ_CONNECT_HEADERS too, expected only one of them'],
    [[], { HEALTHZ_CONNECT_HEADERS: 'Bearer sekrit-token' }, 'HEALTHZ_CONNECT_HEADERS: line 1 is not a "Name: value" header'],
    // Headers the HTTP client refuses at request time are refused at start (issue 11 #4).
    ...['Transfer-Encoding: chunked', 'Upgrade: websocket', 'Expect: 100-continue', 'Connection: close', 'Keep-Alive: 5', 'Content-Length: 3', 'TE: trailers', 'Host: other'].map((line) =>
      [[], { HEALTHZ_CONNECT_HEADERS: `X-Ok: 1\n${line}` }, `HEALTHZ_CONNECT_HEADERS: line 2: got a ${line.split(':')[0] ?? ''} header, expected none of connection, proxy-connection, keep-alive, transfer-encoding, te, trailer, upgrade, expect, content-length, host (the HTTP client sets those itself)`] satisfies [string[], NodeJS.ProcessEnv, string]),
    [[], { HEALTHZ_CONNECT_HEADERS: 'X-Token: sekrit\u0001token' }, 'HEALTHZ_CONNECT_HEADERS: line 1: the X-Token header\'s value holds a control character'],
    [[], { HEALTHZ_CONNECT_HEADERS: 'X-Token: sekrit\rInjected: yes' }, 'HEALTHZ_CONNECT_HEADERS: line 1: the X-Token header\'s value holds a control character'],
    [[], { HEALTHZ_CONNECT_HEADERS: 'X-A: 1\nx-a: 2' }, 'HEALTHZ_CONNECT_HEADERS: line 2: got a second x-a header, expected each name once'],
    [['--connect-username', 'u'], { HEALTHZ_CONNECT_PASSWORD: 'pw', HEALTHZ_CONNECT_HEADERS: 'Authorization: Bearer t' }, '--connect-username: got basic-auth credentials and an Authorization header too, expected only one of them'],
    [['--connect-tls-key-file', '/key.pem'], {}, '--connect-tls-cert-file: got nothing, expected a file because --connect-tls-key-file is set'],
  ]
  for (const [argv, env, message] of cases) {
    t.throws(() => connect(argv, env), new ConfigError(message), [...argv, ...Object.keys(env)].join(' '))
  }
})

t.test('messages name where a value came from: the variable that set it, or the file (issue 17)', async (t) => {
  const none = { ...deps(), readFile: () => { throw Object.assign(new Error('x'), { code: 'ENOENT' }) } }
  t.throws(() => resolveConfig(parseOptions([], { HEALTHZ_KAFKA_BROKERS: 'k:9092', HEALTHZ_KAFKA_TLS_CA_FILE: '/etc/ca.pem' }).options, none),
    new ConfigError('HEALTHZ_KAFKA_TLS_CA_FILE: got "/etc/ca.pem", expected a readable file (ENOENT)'), 'set in env: named by its variable')
  t.throws(() => resolveConfig(parseOptions(['--kafka-brokers', 'k:9092', '--kafka-tls-ca-file', '/etc/ca.pem'], {}).options, none),
    new ConfigError('--kafka-tls-ca-file: got "/etc/ca.pem", expected a readable file (ENOENT)'), 'set as a flag: named by its flag')
  const empty = { ...deps(), readFile: () => '\n' }
  t.throws(() => resolveConfig(parseOptions(['--kafka-brokers', 'k:9092', '--kafka-sasl-mechanism', 'plain', '--kafka-sasl-username', 'u'], { HEALTHZ_KAFKA_SASL_PASSWORD_FILE: '/run/pw' }).options, empty),
    new ConfigError('HEALTHZ_KAFKA_SASL_PASSWORD_FILE: the file "/run/pw" is empty, expected a password'), 'an empty password file is named, not the password variable')
  t.throws(() => resolveConfig(parseOptions(['--connect-url', 'http://c:8083', '--connect-username', 'u', '--connect-password-file', '/run/pw'], {}).options, empty),
    new ConfigError('--connect-password-file: the file "/run/pw" is empty, expected a password'))
  t.throws(() => resolveConfig(parseOptions(['--connect-url', 'http://c:8083', '--connect-headers-file', '/run/h'], {}).options, { ...deps(), readFile: () => 'Bearer x' }),
    new ConfigError('--connect-headers-file (/run/h): line 1 is not a "Name: value" header'), 'a headers file is named with its path')
})
