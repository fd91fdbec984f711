// --kafka-controller and friends: the node id, the listener's security from the broker's
// TLS/SASL options, and the mistakes, each one line naming the option.
import t from 'tap'
import { ConfigError, parseOptions } from '../../src/config/parse-options'
import { resolveConfig } from '../../src/config/resolve'

const files: Record<string, string> = { '/ca.pem': 'CA', '/pw': 'pw\n' }
const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}, hostname?: string) => resolveConfig(parseOptions(argv, env).options, {
  hostname,
  localAddresses: () => [],
  readFile: (p) => {
    const f = files[p]
    if (f === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' })
    return f
  },
})

t.test('a controller alone is enough; its id given or from the StatefulSet ordinal', async (t) => {
  const c = resolve(['--kafka-controller', 'controller-0.kraft:9093', '--kafka-controller-id', '7'])
  t.equal(c.kafka, undefined)
  t.match(c.controller, { nodeId: 7, caughtUpBoundMs: 2000, listener: { address: 'controller-0.kraft:9093', host: 'controller-0.kraft', port: 9093, brokerId: undefined, tls: undefined, sasl: undefined } })
  t.equal(resolve(['--kafka-controller', 'c:9093', '--kafka-controller-id', 'auto'], {}, 'controller-2').controller?.nodeId, 2)
  t.equal(resolve(['--kafka-controller', 'c:9093', '--kafka-controller-id', 'auto', '--kafka-controller-id-offset', '100'], {}, 'controller-2').controller?.nodeId, 102)
  t.equal(resolve(['--kafka-controller', 'c:9093', '--kafka-controller-id', '1', '--controller-caught-up-bound', '5s']).controller?.caughtUpBoundMs, 5000)
  const v6 = resolve(['--kafka-controller', '[fd00::7]:9093', '--kafka-controller-id', '1'])
  t.match(v6.controller?.listener, { host: 'fd00::7', port: 9093 })
})

t.test('the controller listener is secured as the --kafka-tls/--kafka-sasl options say; a combined node has both targets', async (t) => {
  const c = resolve(['--kafka-brokers', 'localhost:9092', '--kafka-broker-id', '1', '--kafka-controller', 'localhost:9093', '--kafka-controller-id', '1',
    '--kafka-tls-ca-file', '/ca.pem', '--kafka-sasl-mechanism', 'scram-sha-512', '--kafka-sasl-username', 'healthz', '--kafka-sasl-password-file', '/pw'])
  t.match(c.controller?.listener, { address: 'localhost:9093', tls: { ca: 'CA' }, sasl: { mechanism: 'scram-sha-512', username: 'healthz', password: 'pw' } })
  t.match(c.kafka, { address: 'localhost:9092', brokerId: 1 })
  t.same(c.reread().controller, c.controller, 'rotation rereads it too')
})

t.test('mistakes: one line naming the option', async (t) => {
  t.throws(() => resolve(['--kafka-controller', 'c:9093']), new ConfigError('--kafka-controller-id: got nothing, expected this controller\'s node id (a number, or "auto" in a StatefulSet) because --kafka-controller is set: the quorum check judges this node'))
  t.throws(() => resolve(['--kafka-controller', 'c:9093', '--kafka-controller-id', 'two']), new ConfigError('--kafka-controller-id: got "two", expected a node id (0 or more), "auto" or empty'))
  t.throws(() => resolve(['--kafka-controller', 'c:9093', '--kafka-controller-id', 'auto'], {}, 'kraft'), { message: /^--kafka-controller-id: got "auto", expected --pod-name \(or \$HOSTNAME\) to end in a StatefulSet ordinal/ })
  t.throws(() => resolve(['--kafka-controller', 'c:9093', '--kafka-controller-id', 'auto', '--kafka-controller-id-offset', '-5'], {}, 'controller-2'), { message: /^--kafka-controller-id-offset: got -5, expected an offset that keeps/ })
  t.throws(() => resolve(['--kafka-controller', 'c', '--kafka-controller-id', '1']), { message: /^--kafka-controller: got "c"/ })
})

t.test('--quorum-metrics without a broker to ask is a mistake, not silently nothing', async (t) => {
  t.throws(() => resolve(['--kafka-controller', 'c:9093', '--kafka-controller-id', '1', '--quorum-metrics']),
    new ConfigError('--quorum-metrics: got true without --kafka-brokers, expected a broker to ask (a controller\'s own quorum metrics come with --kafka-controller)'))
  t.ok(resolve(['--kafka-brokers', 'k:9092', '--quorum-metrics']).quorumMetrics)
})
