// Why and how the kafkajs adapter reads error codes itself: kafkajs's own response parsers throw
// on the first per-partition or per-topic error, so one leaderless partition (or one topic the
// broker will not describe) would fail the whole answer. lenient() keeps kafkajs's decoding and
// drops only its throwing parse.
import t from 'tap'
import { lenient } from '../../src/kafka/kafkajs-client'

interface Parser { parse: (data: unknown) => Promise<unknown>, decode: (raw: Buffer) => Promise<unknown> }
// eslint-disable-next-line @typescript-eslint/no-require-imports
const metadataV1 = require('kafkajs/src/protocol/requests/metadata/v1/response') as Parser
// eslint-disable-next-line @typescript-eslint/no-require-imports
const describeV0 = require('kafkajs/src/protocol/requests/describeConfigs/v0/response') as Parser

const LEADER_NOT_AVAILABLE = 5
const UNKNOWN_TOPIC_OR_PARTITION = 3

const metadata = {
  throttleTime: 0,
  brokers: [{ nodeId: 1, host: 'kafka-1', port: 9092, rack: null }],
  controllerId: 1,
  topicMetadata: [{
    topicErrorCode: 0,
    topic: 'orders',
    isInternal: false,
    partitionMetadata: [
      { partitionErrorCode: LEADER_NOT_AVAILABLE, partitionId: 0, leader: -1, replicas: [1, 2], isr: [] },
      { partitionErrorCode: 0, partitionId: 1, leader: 1, replicas: [1, 2], isr: [1, 2] },
    ],
  }],
}
const configs = {
  throttleTime: 0,
  resources: [
    { errorCode: 0, errorMessage: null, resourceType: 2, resourceName: 'orders', configEntries: [{ configName: 'min.insync.replicas', configValue: '2' }] },
    { errorCode: UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'gone', resourceType: 2, resourceName: 'deleted', configEntries: [] },
  ],
}

t.test("kafkajs's own parsers throw on one bad partition or topic", async (t) => {
  const caught = async (p: Promise<unknown>): Promise<unknown> => await p.then(() => undefined, (e: unknown) => e)
  t.match(await caught(metadataV1.parse(metadata)), { type: 'LEADER_NOT_AVAILABLE' })
  t.match(await caught(describeV0.parse(configs)), { type: 'UNKNOWN_TOPIC_OR_PARTITION' })
})

t.test('lenient() keeps decode and passes the data through', async (t) => {
  const req = { request: { apiKey: 3, apiVersion: 1, apiName: 'Metadata', encode: async () => await Promise.resolve({}) }, response: metadataV1 }
  const l = lenient(req) as { request: unknown, response: Parser }
  t.equal(l.request, req.request)
  t.equal(l.response.decode, metadataV1.decode, 'decoding is kafkajs\'s')
  t.same(await l.response.parse(metadata), metadata)
  t.not(l.response, metadataV1, 'kafkajs\'s shared response module is not modified')
  await t.rejects(metadataV1.parse(metadata), 'still throws for everyone else')
})
