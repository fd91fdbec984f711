// The DescribeCluster/DescribeQuorum codec against answers recorded from real Kafka 4.3.1 and
// 3.9.2 (test/fixtures/kraft/record.ts: 3 dedicated controllers, ids 1-3, and broker 4).
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { BrokerError } from '../../src/kafka/client'
import { decodeDescribeClusterResponse, decodeDescribeQuorumResponse, encodeDescribeClusterRequest, encodeDescribeQuorumRequest } from '../../src/kafka/quorum-codec'

const FIXTURES = join(__dirname, '..', 'fixtures', 'kraft')
const recorded = (version: string, name: string): Buffer => Buffer.from(readFileSync(join(FIXTURES, `${version}-${name}.hex`), 'utf8').trim(), 'hex')
/** What each recording saw (record.ts printed it): the leader and the controllers' ports. */
const RECORDINGS = [
  { version: '4.3.1', leader: 1, ports: [35299, 41881, 35873], hw: 23 },
  { version: '3.9.2', leader: 3, ports: [35579, 41643, 34485], hw: 18 },
]

t.test('requests, byte for byte as the message schemas lay them out', async (t) => {
  // header tags 00 | IncludeClusterAuthorizedOperations 00 | EndpointType 02 (controllers) | tags 00
  t.equal(encodeDescribeClusterRequest().toString('hex'), '00000200')
  // header tags | topics: 1 (02) | "__cluster_metadata" (len 18 + 1 = 0x13) | partitions: 1 | index 0 | tags | topic tags | body tags
  t.equal(encodeDescribeQuorumRequest().toString('hex'), '0002' + '13' + Buffer.from('__cluster_metadata').toString('hex') + '02' + '00000000' + '00' + '00' + '00')
})

for (const r of RECORDINGS) {
  t.test(`Kafka ${r.version}: DescribeCluster from a controller lists the controllers and the leader`, async (t) => {
    const c = decodeDescribeClusterResponse(recorded(r.version, 'describe-cluster'))
    t.equal(c.leaderId, r.leader)
    t.same(c.controllers, r.ports.map((port, i) => ({ nodeId: i + 1, host: '127.0.0.1', port })))
    t.match(c.clusterId, /^[\w-]{22}$/)
  })

  t.test(`Kafka ${r.version}: DescribeQuorum from the leader, and forwarded by a broker`, async (t) => {
    for (const name of ['describe-quorum', 'describe-quorum-via-broker']) {
      const q = decodeDescribeQuorumResponse(recorded(r.version, name))
      t.equal(q.leaderId, r.leader, name)
      t.equal(q.leaderEpoch, 1)
      t.equal(q.highWatermark, r.hw)
      t.same(q.voters.map((v) => v.nodeId), [1, 2, 3])
      t.same(q.observers.map((v) => v.nodeId), [4], 'the broker is an observer')
      const leader = q.voters.find((v) => v.nodeId === r.leader)
      for (const v of [...q.voters, ...q.observers]) {
        t.equal(v.logEndOffset, r.hw, `node ${v.nodeId} is at the high watermark`)
        // Timestamps are the leader's wall clock in ms (November 2026), within a second of the leader's.
        t.ok(v.lastCaughtUpTimestamp > 1.79e12 && v.lastCaughtUpTimestamp <= (leader?.lastCaughtUpTimestamp ?? 0), `node ${v.nodeId} timestamp`)
        t.ok((leader?.lastCaughtUpTimestamp ?? 0) - v.lastCaughtUpTimestamp < 1000)
      }
    }
  })

  t.test(`Kafka ${r.version}: error answers are 'protocol' errors naming the code`, async (t) => {
    t.throws(() => decodeDescribeQuorumResponse(recorded(r.version, 'describe-quorum-not-leader')), new BrokerError('protocol', 'DescribeQuorum: NOT_LEADER_OR_FOLLOWER'))
    t.throws(() => decodeDescribeClusterResponse(recorded(r.version, 'describe-cluster-broker')), { kind: 'protocol', message: /^DescribeCluster \(The request was sent to an endpoint of type BROKER.*\): MISMATCHED_ENDPOINT_TYPE$/ })
  })

  t.test(`Kafka ${r.version}: a cut or padded answer is a 'protocol' error, never a crash or a wrong value`, async (t) => {
    for (const [name, decode] of [['describe-cluster', decodeDescribeClusterResponse], ['describe-quorum', decodeDescribeQuorumResponse]] as const) {
      const full = recorded(r.version, name)
      for (let n = 0; n < full.length; n++) {
        try {
          decode(full.subarray(0, n))
          t.fail(`${name} cut to ${n} bytes decoded`)
        } catch (err) {
          if (!(err instanceof BrokerError) || err.kind !== 'protocol') t.fail(`${name} cut to ${n}: ${String(err)}`)
        }
      }
      t.throws(() => decode(Buffer.concat([full, Buffer.from([0])])), { kind: 'protocol', message: /1 bytes after the answer/ })
    }
  })
}

t.test('unknown tagged fields are skipped; an authorization refusal is an auth error; a missing partition is named', async (t) => {
  // DescribeQuorum v1: header tags with one field (tag 5, 2 bytes), error CLUSTER_AUTHORIZATION_FAILED, no topics, no tags.
  const refused = Buffer.from('01' + '05' + '02' + 'abcd' + '001f' + '01' + '00', 'hex')
  t.throws(() => decodeDescribeQuorumResponse(refused), { kind: 'auth', message: 'DescribeQuorum: CLUSTER_AUTHORIZATION_FAILED' })
  const empty = Buffer.from('00' + '0000' + '01' + '00', 'hex')
  t.throws(() => decodeDescribeQuorumResponse(empty), { kind: 'protocol', message: /no __cluster_metadata partition 0/ })
  const odd = Buffer.from('00' + '0063' + '01' + '00', 'hex')
  t.throws(() => decodeDescribeQuorumResponse(odd), { kind: 'protocol', message: 'DescribeQuorum: error code 99' })
  t.throws(() => decodeDescribeQuorumResponse(Buffer.from('00' + '0000' + '00' + '00', 'hex')), { kind: 'protocol', message: /bad array length -1/ })
  t.throws(() => decodeDescribeQuorumResponse(Buffer.from('ffffffffff', 'hex')), { kind: 'protocol', message: /varint longer than 5 bytes/ })
})
