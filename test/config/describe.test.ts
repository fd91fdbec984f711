import t from 'tap'
import { publicOptions } from '../../src/config/describe'
import { configFrom } from '../helpers/agent'

t.test('the config in /status and the start-up log keeps its types; secrets are redacted (issue 17)', async (t) => {
  const config = configFrom(['--kafka-brokers', 'kafka-0:9092', '--connectors', 'a,b*', '--in-sync-exclude-topics', '__x', '--interval', '1h30m'],
    { HEALTHZ_KAFKA_SASL_PASSWORD: 's3cret', HEALTHZ_KAFKA_SASL_MECHANISM: 'plain', HEALTHZ_KAFKA_SASL_USERNAME: 'u' })
  const shown = publicOptions(config)
  t.equal(shown.port, 18090, 'an integer is a number')
  t.equal(shown.inSync, true, 'a switch is a boolean')
  t.same(shown.connectors, ['a', 'b*'], 'a list is an array')
  t.equal(shown.interval, '90m', 'a duration as people write it')
  t.equal(shown.kafkaSaslPassword, '<redacted>')
  t.notMatch(JSON.stringify(shown), 's3cret')
})
