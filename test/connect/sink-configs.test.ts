// sinkConfigs over HTTP against the Connect stand-in: each sink's group (Connect's default or
// consumer.override.group.id) and topics, sources left out, with or without ?expand support.
import t from 'tap'
import { createUndiciConnectClient } from '../../src/connect/undici-client'
import { configFrom } from '../helpers/agent'
import { ConnectStandIn } from '../helpers/connect-stand-in'

t.test('groups and topics of sink connectors; sources and deleted connectors left out', async (t) => {
  const w = await new ConnectStandIn().start()
  w.add('orders-sink')
  w.connectors.get('orders-sink')!.config = { topics: 'orders, returns', 'connector.class': 'io.confluent.connect.s3.S3SinkConnector' }
  w.add('custom-sink')
  w.connectors.get('custom-sink')!.config = { 'topics.regex': 'audit-.*', 'consumer.override.group.id': 'team-a' }
  w.add('audit-source')
  w.connectors.get('audit-source')!.type = 'source'
  const target = configFrom(['--connect-url', w.url]).connect
  if (target === undefined) throw new Error('no target')
  const client = createUndiciConnectClient({ target, timeoutMs: 2000, userAgent: 'test' })
  t.teardown(async () => { await client.close(); await w.stop() })
  const want = new Map([
    ['orders-sink', { group: 'connect-orders-sink', topics: ['orders', 'returns'], connectorClass: 'io.confluent.connect.s3.S3SinkConnector' }],
    ['custom-sink', { group: 'team-a', topics: [], topicsRegex: 'audit-.*', connectorClass: 'org.example.SinkConnector' }],
  ])
  const signal = new AbortController().signal
  t.same(await client.sinkConfigs(signal), want)
  w.ignoreExpand = true
  t.same(await client.sinkConfigs(signal), want, 'a worker without ?expand: one info call per connector')
  w.deletedWhileListing.add('orders-sink')
  w.ignoreExpand = false
  w.fault = 'http-500'
  await t.rejects(client.sinkConfigs(signal), { name: 'ConnectError', message: /HTTP 500/ })
})
