// `kafka-healthz ping`: where it connects, what it prints when /ping is not 200, which options it
// reads (in-process), and the built CLI against a running agent configured by arguments.
import t from 'tap'
import { createServer } from 'node:http'
import { PassThrough } from 'node:stream'
import { isPingCommand, pingAgent, pingHost, pingTarget } from '../src/ping'
import { ConfigError } from '../src/config/parse-options'
import type { Config } from '../src/config/resolve'
import { freePort, runCli, startCli, waitHttp } from './helpers/cli'

t.test('a wildcard listen address is reached over loopback', async (t) => {
  t.equal(pingHost('0.0.0.0'), '127.0.0.1')
  t.equal(pingHost(''), '127.0.0.1')
  t.equal(pingHost('::'), '::1')
  t.equal(pingHost('[::]'), '::1')
  t.equal(pingHost('[fd00::1]'), 'fd00::1')
  t.equal(pingHost('10.1.2.3'), '10.1.2.3')
})

t.test('503 and silence both exit 1, with what happened', async (t) => {
  let status = 503
  let hang = false
  const srv = createServer((req, res) => {
    if (hang) return
    res.statusCode = req.url === '/ping' ? status : 404
    res.end('x')
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { srv.closeAllConnections(); srv.close() })
  const { port } = srv.address() as { port: number }
  const config = { host: '127.0.0.1', port, timeout: 300 } as Config
  const run = async (): Promise<[number, string]> => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (d: Buffer) => { text += d.toString() })
    return [await pingAgent(config, out), text]
  }
  t.same(await run(), [1, `ping 127.0.0.1:${port}/ping: 503\n`])
  status = 200
  t.same(await run(), [0, `ping 127.0.0.1:${port}/ping: ok\n`])
  hang = true
  t.same(await run(), [1, `ping 127.0.0.1:${port}/ping: no answer within 300ms\n`])
})

t.test('ping reads host, port and timeout only: flag, then environment, then the serve defaults', async (t) => {
  t.same(pingTarget(['ping'], {}), { host: '0.0.0.0', port: 18090, timeout: 3000 }, 'the serve defaults')
  t.same(pingTarget(['ping'], { HEALTHZ_PORT: '8080', HEALTHZ_HOST: '::', HEALTHZ_TIMEOUT: '1s' }), { host: '::', port: 8080, timeout: 1000 })
  t.same(pingTarget(['ping', '--port=9000', '--timeout', '250ms'], { HEALTHZ_PORT: '8080' }), { host: '0.0.0.0', port: 9000, timeout: 250 }, 'a flag wins')
  t.same(pingTarget(['ping'], { HEALTHZ_PORT: 'tcp://10.0.0.7:18090' }).port, 18090, 'a Service named healthz injects HEALTHZ_PORT=tcp://…: ignored, as serve does')
  t.same(pingTarget(['--kafka-brokers', 'x', 'ping', '--in-sync', '--kafka-broker-id', 'banana'], { HEALTHZ_UNKNOWN: '1', HEALTHZ_MIN_BROKERS: '-5' }).port, 18090,
    'serve options and unknown HEALTHZ_* variables are not ping\'s business')
  t.throws(() => pingTarget(['ping', '--port'], {}), new ConfigError('--port: missing value, expected an integer from 1 to 65535'))
  t.throws(() => pingTarget(['ping'], { HEALTHZ_PORT: '0' }), new ConfigError('HEALTHZ_PORT: got "0", expected an integer from 1 to 65535'))
  t.throws(() => pingTarget(['ping', '--nope'], {}), new ConfigError('--nope: unknown flag; see --help for the options'))
  t.throws(() => pingTarget(['ping', 'twice'], {}), ConfigError)
})

t.test('the ping command is recognised wherever its flags are', async (t) => {
  t.ok(isPingCommand(['ping']))
  t.ok(isPingCommand(['--port', '1', 'ping']))
  t.notOk(isPingCommand(['--kafka-brokers', 'ping']), '"ping" is the value of --kafka-brokers here')
  t.notOk(isPingCommand(['check']))
  t.notOk(isPingCommand([]))
})

// Docker runs HEALTHCHECK with the container's environment but never its arguments, so an agent
// configured by arguments (Compose `command:`) is pinged by a bare `ping`; and a ping that read
// the serve configuration would fail for reasons that say nothing about the agent's health.
t.test('ping needs only host and port: no Kafka or Connect config, no secrets, exit 0 or 1 only', async (t) => {
  const port = await freePort()
  // Configured by arguments, as a Compose `command:` does; /ping needs no peer to answer.
  const { child, exit } = startCli(['--connect-url', 'http://127.0.0.1:1', '--port', String(port)])
  t.teardown(() => { child.kill('SIGKILL') })
  await waitHttp(port, '/ping', 200)

  const bare = await runCli(['ping'], { HEALTHZ_PORT: String(port) })
  t.equal(bare.code, 0, `a bare ping: ${bare.stdout}${bare.stderr}`)
  t.equal(bare.stdout, `ping 127.0.0.1:${port}/ping: ok\n`)
  t.equal(bare.stderr, '')

  // The container's environment, as Docker hands it to HEALTHCHECK: serve options, a secret, a
  // secret file that is not mounted here, a value only serve would reject.
  const secret = 'pingmustnotreadthis-42'
  const container = {
    HEALTHZ_PORT: String(port),
    HEALTHZ_KAFKA_BROKERS: 'not an address',
    HEALTHZ_INTERVAL: 'soon',
    HEALTHZ_CONNECT_URL: 'http://127.0.0.1:1',
    HEALTHZ_CONNECT_PASSWORD: secret,
    HEALTHZ_KAFKA_SASL_PASSWORD_FILE: '/nonexistent/kafka-password',
    HEALTHZ_CONNECT_HEADERS_FILE: '/nonexistent/headers',
  }
  const missingSecret = await runCli(['ping'], { HEALTHZ_PORT: String(port), HEALTHZ_KAFKA_BROKERS: '127.0.0.1:9092', HEALTHZ_KAFKA_SASL_PASSWORD_FILE: '/nonexistent/kafka-password' })
  t.equal(missingSecret.code, 0, `a secret file ping has no use for: ${missingSecret.stdout}${missingSecret.stderr}`)
  const withEnv = await runCli(['ping'], container)
  t.equal(withEnv.code, 0, `ping ignores everything but host and port: ${withEnv.stdout}${withEnv.stderr}`)
  t.notMatch(withEnv.stdout + withEnv.stderr, secret)

  const withFlags = await runCli(['ping', '--port', String(port), '--kafka-brokers', 'nope', '--connect-password-file', '/nonexistent'])
  t.equal(withFlags.code, 0, `serve's flags given to ping are not its business: ${withFlags.stdout}${withFlags.stderr}`)

  // Anything but healthy is 1: Docker reserves exit 2, and a bad option is no healthy agent.
  const badPort = await runCli(['ping', '--port', 'http'], container)
  t.equal(badPort.code, 1)
  t.equal(badPort.stderr, 'kafka-healthz ping: --port: got "http", expected an integer from 1 to 65535\n')
  const typo = await runCli(['ping', '--prot', String(port)])
  t.equal(typo.code, 1, 'an unknown flag is an error, not a silent default')
  t.match(typo.stderr, '--prot: unknown flag')
  const stray = await runCli(['ping', 'now'])
  t.equal(stray.code, 1)

  const help = await runCli(['ping', '--help'])
  t.equal(help.code, 0)
  t.match(help.stdout, 'kafka-healthz ping')

  child.kill('SIGTERM')
  await exit
})
