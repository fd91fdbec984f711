// The controller target against real KRaft: 3 dedicated controllers and 3 brokers, once per
// version in test/real/kafka-versions. One agent (the built CLI) beside each controller, as in a
// pod, for the whole file; faults are real: a SIGSTOPped controller, a SIGKILLed leader.
import t from 'tap'
import { AgentProcess, forEachKafkaVersion, RealKafkaCluster, type Tap } from '../helpers/real-kafka'

const INTERVAL = 1000
const TIMEOUT = 800
const FAILURE_THRESHOLD = 2
const SLACK = 1500
/** What the README promises for a hung peer: --timeout + --interval × --failure-threshold, plus slack. */
const BOUND = TIMEOUT + INTERVAL * FAILURE_THRESHOLD + SLACK
/** The caught-up bound (controller.quorum.fetch.timeout.ms) plus runs to see it. */
const CAUGHT_UP_BOUND = 2000

interface QuorumDetails { leaderId: number, voters: Array<{ nodeId: number, caughtUp: boolean }> }

forEachKafkaVersion(t, 'controller checks', async (t, version) => {
  const cluster = await RealKafkaCluster.start(version, { controllers: 3, nodes: 3, heapMb: 192 })
  t.teardown(async () => {
    if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
    await cluster.stop(!t.passing())
  })

  async function agentFor (t: Tap, args: string[]): Promise<AgentProcess> {
    const a = await AgentProcess.start(['--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', String(FAILURE_THRESHOLD), ...args])
    t.teardown(async () => {
      if (!t.passing()) t.comment(`agent ${args.join(' ')}:\n${a.output.split('\n').slice(-15).join('\n')}`)
      await a.stop()
    })
    return a
  }

  const agents = new Map<number, AgentProcess>()
  for (const c of cluster.controllers) {
    agents.set(c.id, await agentFor(t, ['--kafka-controller', c.address, '--kafka-controller-id', String(c.id), '--prestop-timeout', '60s']))
  }
  const agent = (id: number): AgentProcess => agents.get(id)!
  const quorumOf = async (id: number): Promise<QuorumDetails | undefined> => {
    const d = (await agent(id).status()).checks.quorum?.lastRun?.details as Partial<QuorumDetails> | undefined
    return d?.leaderId === undefined ? undefined : d as QuorumDetails
  }
  // A broker's agent with the quorum as metrics only (issue 15, item 2).
  const broker = cluster.nodes[0]!
  const brokerAgent = await agentFor(t, ['--kafka-brokers', broker.address, '--kafka-broker-id', String(broker.id), '--quorum-metrics'])

  let leader = 0
  t.test('every controller agent is live, ready and started; /prestop answers at once', async (t) => {
    for (const [id, a] of agents) {
      await a.waitStatus('/readyz', 200, 60_000)
      for (const path of ['/livez', '/readyz', '/startupz']) t.equal((await a.get(path)).status, 200, `controller ${id} ${path}`)
      t.match((await a.get('/readyz?verbose')).body, /\[\+\]controller-reachable ok\n\[\+\]quorum ok\n/)
      t.match((await a.status()).checks.quorum?.message, new RegExp(`^controller ${id} is a caught-up voter \\(`))
    }
    const q = await quorumOf(1)
    leader = q?.leaderId ?? -1
    t.ok([1, 2, 3].includes(leader), `leader ${leader}`)
    t.same(q?.voters.map((v) => v.nodeId), [1, 2, 3])
    for (const [id, a] of agents) {
      const res = await a.get('/prestop')
      t.equal(res.status, 200, `controller ${id} /prestop`)
      t.match(res.body, new RegExp(`^safe to stop controller ${id}: without controller ${id}, 2 of 3 voters are caught up`))
      t.ok(res.ms < 2000, `answered at once (${Math.round(res.ms)}ms)`)
    }
    const metrics = (await agent(leader).get('/metrics')).body
    t.match(metrics, new RegExp(`kafka_healthz_quorum_leader_id\\{role="controller",node="${leader}"\\} ${leader}\\n`))
    t.match(metrics, new RegExp(`kafka_healthz_quorum_caught_up_voters\\{role="controller",node="${leader}"\\} 3\\n`))
  })

  t.test('a broker sees the same quorum as metrics; its readiness does not ask it', async (t) => {
    await brokerAgent.waitStatus('/readyz', 200, 60_000)
    const m = await brokerAgent.waitFor('/metrics', (a) => a.body.includes(`kafka_healthz_quorum_leader_id{role="broker",node="${broker.id}"} ${leader}\n`), 10_000, 'the quorum leader metric')
    t.match(m.body, new RegExp(`kafka_healthz_quorum_lag_records\\{role="broker",node="${broker.id}"\\} \\d+\\n`), 'the broker is an observer: its own lag')
    t.notMatch((await brokerAgent.get('/readyz?verbose')).body, /quorum/, 'no quorum line in readiness')
  })

  t.test('a frozen controller: its agent 503; the others stay ready, but their /prestop waits until it is back', async (t) => {
    const frozen = [1, 2, 3].find((id) => id !== leader)!
    const others = [1, 2, 3].filter((id) => id !== frozen)
    cluster.node(frozen).jvm.signal('SIGSTOP')
    let thawed = false
    t.teardown(() => { if (!thawed) cluster.node(frozen).jvm.signal('SIGCONT') })
    const down = await agent(frozen).waitStatus('/readyz', 503, BOUND)
    t.comment(`controller ${frozen} frozen: its agent answered 503 after ${down.after}ms`)
    t.match(down.body, /quorum failed: TIMEOUT/)
    t.equal((await agent(frozen).get('/livez')).status, 503, 'liveness too: the controller itself does not answer')
    // The others' view must first see it fall behind (the caught-up bound), then /prestop waits.
    for (const id of others) {
      await agent(id).waitFor('/status', (a) => {
        const q = (JSON.parse(a.body) as { checks: { quorum?: { lastRun?: { details?: QuorumDetails } } } }).checks.quorum?.lastRun?.details
        return q?.voters.find((v) => v.nodeId === frozen)?.caughtUp === false
      }, CAUGHT_UP_BOUND + BOUND, `controller ${frozen} not caught up`)
      t.equal((await agent(id).get('/readyz')).status, 200, `controller ${id} stays ready`)
    }
    const waiting = others.map(async (id) => await agent(id).get('/prestop', 120_000))
    const early = await Promise.race([Promise.all(waiting).then(() => 'answered'), new Promise((resolve) => setTimeout(() => { resolve('waiting') }, 3000))])
    t.equal(early, 'waiting', 'the other controllers\' /prestop blocks: one more stopped would lose the majority')
    for (const id of others) t.equal((await agent(id).get('/readyz')).status, 503, `controller ${id} is unready while its /prestop waits`)
    cluster.node(frozen).jvm.signal('SIGCONT')
    thawed = true
    const answers = await Promise.all(waiting)
    answers.forEach((res, i) => {
      t.equal(res.status, 200, `controller ${others[i]} /prestop answered once ${frozen} was back`)
      t.match(res.body, /^safe to stop controller \d: without controller \d, 2 of 3 voters are caught up/)
    })
    for (const id of [1, 2, 3]) await agent(id).waitStatus('/readyz', 200, 30_000)
    for (const id of [1, 2, 3]) t.equal((await agent(id).get('/prestop')).status, 200, `controller ${id} /prestop free again`)
  })

  t.test('the active controller killed: a new leader, and every agent follows without a restart', async (t) => {
    const old = leader
    const others = [1, 2, 3].filter((id) => id !== old)
    const pids = [...agents.values()].map((a) => a.child.pid)
    await cluster.node(old).jvm.kill()
    await agent(old).waitStatus('/readyz', 503, BOUND)
    for (const id of others) {
      const ready = await agent(id).waitFor('/status', (a) => {
        const s = JSON.parse(a.body) as { checks: { quorum?: { ok: boolean, lastRun?: { details?: QuorumDetails } } } }
        const q = s.checks.quorum?.lastRun?.details
        return s.checks.quorum?.ok === true && q !== undefined && q.leaderId !== old && others.includes(q.leaderId)
      }, 30_000, 'a new leader')
      t.comment(`controller ${id} follows the new leader after ${ready.after}ms`)
      t.equal((await agent(id).get('/readyz')).status, 200)
    }
    leader = (await quorumOf(others[0]!))?.leaderId ?? -1
    t.not(leader, old)
    cluster.restart(old)
    await agent(old).waitStatus('/readyz', 200, 60_000)
    t.match((await agent(old).status()).checks.quorum?.message, new RegExp(`^controller ${old} is a caught-up voter \\(leader ${leader},`))
    t.same([...agents.values()].map((a) => a.child.pid), pids, 'the same agent processes throughout')
    t.ok([...agents.values()].every((a) => a.child.exitCode === null))
  })
})
