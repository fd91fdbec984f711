import t from 'tap'
import { ConfigError, parseOptions } from '../../src/config/parse-options'
import { GROUPS, SCHEMA, envName, flagName } from '../../src/config/schema'
import { renderHelp } from '../../src/config/describe'

t.test('defaults, then environment, then flags', async (t) => {
  t.equal(parseOptions([], {}).options.port, 18090)
  t.equal(parseOptions([], { HEALTHZ_PORT: '9000' }).options.port, 9000)
  t.equal(parseOptions(['--port', '9100'], { HEALTHZ_PORT: '9000' }).options.port, 9100)
  t.equal(parseOptions(['--port=9200'], { HEALTHZ_PORT: '9000' }).options.port, 9200)
  t.equal(parseOptions(['--interval', '1m'], {}).options.interval, 60_000)
  t.equal(parseOptions([], { HEALTHZ_KAFKA_BROKERS: 'kafka-0.kafka:9092' }).options.kafkaBrokers, 'kafka-0.kafka:9092')
})

t.test('every option has a flag and an env var following one rule', async (t) => {
  t.equal(flagName('kafkaBrokers'), 'kafka-brokers')
  t.equal(envName('kafkaBrokers'), 'HEALTHZ_KAFKA_BROKERS')
  t.equal(envName('kafkaTlsCaFile'), 'HEALTHZ_KAFKA_TLS_CA_FILE')
  for (const key of Object.keys(SCHEMA)) {
    const env = { [envName(key)]: '' }
    // An empty env value is valid for strings and rejected (with the env name) for typed options.
    try { parseOptions([], env) } catch (err) { t.match((err as Error).message, envName(key)) }
  }
})

t.test('Kubernetes service-link variables for a Service named "healthz" are not ours', async (t) => {
  const links = {
    HEALTHZ_SERVICE_HOST: '10.96.0.12',
    HEALTHZ_SERVICE_PORT: '18090',
    HEALTHZ_SERVICE_PORT_HTTP: '18090',
    HEALTHZ_PORT: 'tcp://10.96.0.12:18090',
    HEALTHZ_PORT_18090_TCP: 'tcp://10.96.0.12:18090',
    HEALTHZ_PORT_18090_TCP_PROTO: 'tcp',
    HEALTHZ_PORT_18090_TCP_PORT: '18090',
    HEALTHZ_PORT_18090_TCP_ADDR: '10.96.0.12',
  }
  t.equal(parseOptions([], links).options.port, 18090)
  t.equal(parseOptions([], { ...links, HEALTHZ_PORT: '9000' }).options.port, 9000, 'a plain number is still ours')
})

t.test('booleans take a bare flag or an explicit value', async (t) => {
  t.equal(parseOptions(['--kafka-tls'], {}).options.kafkaTls, true)
  t.equal(parseOptions(['--kafka-tls=false'], { HEALTHZ_KAFKA_TLS: 'true' }).options.kafkaTls, false)
  t.equal(parseOptions([], { HEALTHZ_KAFKA_TLS: 'yes' }).options.kafkaTls, true)
})

t.test('the check command, --help and --version', async (t) => {
  t.equal(parseOptions(['check', '--probe', 'livez'], {}).command, 'check')
  t.equal(parseOptions(['check', '--probe', 'livez'], {}).options.probe, 'livez')
  t.equal(parseOptions([], {}).command, 'serve')
  t.equal(parseOptions(['ping'], {}).command, 'ping')
  t.equal(parseOptions(['--help'], {}).help, true)
  t.equal(parseOptions(['-h'], {}).help, true)
  t.equal(parseOptions(['--version'], {}).version, true)
})

t.test('bad input: one line naming the option, the value and what was expected', async (t) => {
  const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
    [['--port', 'abc'], {}, '--port: got "abc", expected an integer from 1 to 65535'],
    [['--port', '0'], {}, '--port: got "0", expected an integer from 1 to 65535'],
    [['--port'], {}, '--port: missing value, expected an integer from 1 to 65535'],
    [[], { HEALTHZ_PORT: '70000' }, 'HEALTHZ_PORT: got "70000", expected an integer from 1 to 65535'],
    [['--interval', '5 s'], {}, '--interval: got "5 s", expected a duration like 250ms, 5s, 1m or 1h30m (at least 10ms, at most 24h)'],
    [['--timeout', '5ms'], {}, '--timeout: got "5ms", expected a duration like 250ms, 5s, 1m or 1h30m (at least 10ms, at most 24h)'],
    [['--interval', '25h'], {}, '--interval: got "25h", expected a duration like 250ms, 5s, 1m or 1h30m (at least 10ms, at most 24h)'],
    [['--failure-threshold', '0'], {}, '--failure-threshold: got "0", expected an integer from 1 to 100'],
    [['--log-level', 'loud'], {}, '--log-level: got "loud", expected one of fatal, error, warn, info, debug, trace, silent'],
    [['--kafka-sasl-mechanism', 'gssapi'], {}, '--kafka-sasl-mechanism: got "gssapi", expected one of none, plain, scram-sha-256, scram-sha-512'],
    [['--kafka-brokers', 'kafka:notaport'], {}, '--kafka-brokers: got "kafka:notaport", expected host:port, e.g. localhost:9092 or [::1]:9092'],
    [['--kafka-brokers', 'a:9092,b:9092'], {}, '--kafka-brokers: got "a:9092,b:9092", expected host:port, e.g. localhost:9092 or [::1]:9092'],
    [['--kafka-tls=maybe'], {}, '--kafka-tls: got "maybe", expected true or false'],
    [['--kafka-brokerz', 'x:1'], {}, '--kafka-brokerz: unknown flag; did you mean --kafka-brokers? see --help for the options'],
    [[], { HEALTHZ_KAFKA_BROKER: 'x:1' }, 'HEALTHZ_KAFKA_BROKER: unknown environment variable; did you mean HEALTHZ_KAFKA_BROKERS? see --help for the options'],
    // "did you mean" (issue 17): transpositions and near misses, and no guess when nothing is close.
    [['--intreval', '5s'], {}, '--intreval: unknown flag; did you mean --interval? see --help for the options'],
    [['--conect-url', 'http://x'], {}, '--conect-url: unknown flag; did you mean --connect-url? see --help for the options'],
    [['--nope'], {}, '--nope: unknown flag; see --help for the options'],
    [[], { HEALTHZ_TIMOUT: '1s' }, 'HEALTHZ_TIMOUT: unknown environment variable; did you mean HEALTHZ_TIMEOUT? see --help for the options'],
    [['--kafka-sasl-password', 'hunter2'], {}, '--kafka-sasl-password: secrets are not accepted as flags (they show in ps and pod specs); set HEALTHZ_KAFKA_SASL_PASSWORD or use --kafka-sasl-password-file'],
    [['serve'], {}, '"serve": unknown command, expected no command (serve), "check" or "ping"'],
    [['check', 'now'], {}, '"check now": unknown command, expected no command (serve), "check" or "ping"'],
  ]
  for (const [argv, env, message] of cases) {
    t.throws(() => parseOptions(argv, env), new ConfigError(message), [...argv, ...Object.keys(env)].join(' '))
  }
})

t.test('a secret flag error never echoes the secret', async (t) => {
  let message = ''
  try { parseOptions(['--kafka-sasl-password=hunter2'], {}) } catch (err) { message = (err as Error).message }
  t.match(message, 'secrets are not accepted as flags')
  t.notMatch(message, 'hunter2')
})

t.test('--help lists every option with its env var and default', async (t) => {
  const help = renderHelp('1.2.3')
  for (const [key, spec] of Object.entries(SCHEMA)) {
    if ('secret' in spec) t.match(help, `(env only) ${envName(key)}`)
    else t.match(help, `--${flagName(key)}  ${envName(key)}`)
  }
  t.match(help, '--port  HEALTHZ_PORT  (default: 18090)\n')
  t.match(help, '--interval  HEALTHZ_INTERVAL  (default: 5s)\n')
  t.match(help, '--kafka-brokers  HEALTHZ_KAFKA_BROKERS\n', 'an empty default is not shown')
  t.notMatch(help, 'Default:', 'no repeated "Default:" lines (issue 17)')
})

t.test('--help is grouped by target, every option in exactly one group, in schema order', async (t) => {
  const help = renderHelp('1.2.3')
  const keys = Object.keys(SCHEMA)
  let last = -1
  for (const g of GROUPS) {
    const at = keys.indexOf(g.from)
    t.ok(at > last, `${g.title} starts after the group before it`)
    last = at
    t.match(help, `\n${g.title}:\n  `)
  }
  t.equal(GROUPS[0]?.from, keys[0], 'the first group starts at the first option')
  const order = GROUPS.map((g) => help.indexOf(`\n${g.title}:\n`))
  t.same(order, [...order].sort((a, b) => a - b))
})
