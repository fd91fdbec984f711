// The quorum client on kafkajs's connection, against a TCP peer that replays what real Kafka
// 4.3.1 answered (test/fixtures/kraft): the whole path, framing and headers included.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import pino from 'pino'
import { createKafkajsQuorumClient } from '../../src/kafka/kafkajs-lazy'
import type { KafkaTarget } from '../../src/config/resolve'

const recorded = (name: string): Buffer => Buffer.from(readFileSync(join(__dirname, '..', 'fixtures', 'kraft', `4.3.1-${name}.hex`), 'utf8').trim(), 'hex')

/** Answers each request with the recorded answer for its API key; 'hang' answers nothing. */
async function replaying (answers: Map<number, Buffer | 'hang'>): Promise<{ server: Server, port: number, requests: Array<{ apiKey: number, apiVersion: number, body: Buffer }> }> {
  const requests: Array<{ apiKey: number, apiVersion: number, body: Buffer }> = []
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
    let buf = Buffer.alloc(0)
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const frame = buf.subarray(4, 4 + buf.readInt32BE(0))
        buf = buf.subarray(4 + frame.length)
        const apiKey = frame.readInt16BE(0)
        const correlation = frame.readInt32BE(4)
        const clientLen = frame.readInt16BE(8)
        requests.push({ apiKey, apiVersion: frame.readInt16BE(2), body: frame.subarray(10 + clientLen) })
        const answer = answers.get(apiKey)
        if (answer === undefined || answer === 'hang') continue
        const head = Buffer.alloc(8)
        head.writeInt32BE(4 + answer.length, 0)
        head.writeInt32BE(correlation, 4)
        s.write(Buffer.concat([head, answer]))
      }
    })
  })
  server.on('close', () => { for (const s of sockets) s.destroy() })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  return { server, port: typeof address === 'object' && address !== null ? address.port : 0, requests }
}

const target = (port: number): KafkaTarget => ({ address: `127.0.0.1:${port}`, host: '127.0.0.1', port, brokerId: undefined, minBrokers: 1, clientId: 'kafka-healthz', tls: undefined, sasl: undefined })
const signal = (): AbortSignal => AbortSignal.timeout(2000)

t.test('pings, describes the controllers and the quorum over one connection', async (t) => {
  const peer = await replaying(new Map([[18, recorded('api-versions')], [60, recorded('describe-cluster')], [55, recorded('describe-quorum')]]))
  const client = createKafkajsQuorumClient({ target: target(peer.port), timeoutMs: 1000, logger: pino({ level: 'silent' }) })
  t.teardown(async () => { await client.close(); peer.server.close() })
  await client.ping(signal())
  t.match(await client.describeControllers(signal()), { leaderId: 1, controllers: [{ nodeId: 1 }, { nodeId: 2 }, { nodeId: 3 }] })
  t.match(await client.describeQuorum(signal()), { leaderId: 1, highWatermark: 23, observers: [{ nodeId: 4 }] })
  const sent = peer.requests.filter((r) => r.apiKey !== 18)
  t.same(sent.map((r) => [r.apiKey, r.apiVersion, r.body.toString('hex')]), [
    [60, 1, '00000200'],
    [55, 1, '000213' + Buffer.from('__cluster_metadata').toString('hex') + '0200000000000000'],
  ], 'v1 requests with the flexible header\'s empty tags after the client id')
})

t.test('an error answer is a protocol error and keeps the connection; a hung peer aborts and redials', async (t) => {
  const answers = new Map<number, Buffer | 'hang'>([[18, recorded('api-versions')], [55, recorded('describe-quorum-not-leader')], [60, 'hang']])
  const peer = await replaying(answers)
  const client = createKafkajsQuorumClient({ target: target(peer.port), timeoutMs: 1000, logger: pino({ level: 'silent' }) })
  t.teardown(async () => { await client.close(); peer.server.close() })
  await t.rejects(client.describeQuorum(signal()), { kind: 'protocol', message: 'DescribeQuorum: NOT_LEADER_OR_FOLLOWER' })
  await t.rejects(client.describeControllers(AbortSignal.timeout(200)), { kind: 'aborted', message: /deadline/ })
  answers.set(60, recorded('describe-cluster'))
  t.match(await client.describeControllers(signal()), { leaderId: 1 }, 'answers again once the peer does')
  t.equal(peer.requests.filter((r) => r.apiKey === 18).length, 2, 'the abort dropped the connection; one fresh dial after it, none after the error answer')
})

t.test('a refused connection is unreachable', async (t) => {
  const peer = await replaying(new Map())
  const port = peer.port
  peer.server.close()
  const client = createKafkajsQuorumClient({ target: target(port), timeoutMs: 500, logger: pino({ level: 'silent' }) })
  t.teardown(async () => { await client.close() })
  await t.rejects(client.ping(signal()), { kind: 'unreachable', message: /ECONNREFUSED|refused/i })
})
