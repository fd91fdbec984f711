// Secrets never leave the agent: not in logs (even at trace, kafkajs lines included), /status,
// /metrics or probe bodies, on the success path or the failure path.
import t from 'tap'
import { configFrom, startAgent } from '../helpers/agent'
import { MockCluster } from '../helpers/mock-cluster'

const PASSWORD = 'pa55:word-7f3a9c'

t.test('a SASL password appears nowhere', async (t) => {
  const cluster = await MockCluster.start(1)
  t.teardown(async () => { await cluster.stop() })
  for (const mechanism of ['plain', 'scram-sha-256', 'scram-sha-512']) {
    const config = configFrom(['--kafka-brokers', cluster.address(1), '--interval', '300ms', '--timeout', '200ms',
      '--kafka-sasl-mechanism', mechanism, '--kafka-sasl-username', 'agent'], { HEALTHZ_KAFKA_SASL_PASSWORD: PASSWORD })
    const a = await startAgent(config, {}, { level: 'trace', start: false })
    await a.agent.runner.runCycle()
    await a.agent.runner.runCycle()
    const bodies = await Promise.all(['/status', '/metrics', '/readyz?verbose', '/livez?verbose'].map(async (url) => (await a.app.inject({ url })).body))
    await a.close()
    t.ok(a.logs.lines.length > 0, `${mechanism}: logs were written`)
    t.match(a.logs.text, 'kafkajs', `${mechanism}: kafkajs logs are routed through pino`)
    for (const text of [a.logs.text, ...bodies]) t.notMatch(text, PASSWORD, mechanism)
    t.match(bodies[0], '"kafkaSaslPassword":"<redacted>"')
  }
})
