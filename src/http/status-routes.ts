import type { FastifyInstance } from 'fastify'
import type { Agent } from '../agent'
import { PROBES } from '../core/probes'
import type { CheckView } from '../core/runner'
import { publicOptions } from '../config/describe'
import { VERSION } from '../version'

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString())

function checkStatus (v: CheckView): Record<string, unknown> {
  const last = v.last
  return {
    ok: v.ok,
    reason: v.reason,
    message: v.message,
    everPassed: v.everPassed,
    consecutiveSuccesses: v.consecutiveSuccesses,
    consecutiveFailures: v.consecutiveFailures,
    lastChangeAt: iso(v.lastChangeAt),
    lastRun: last === undefined
      ? null
      : {
          ok: last.ok,
          reason: last.reason,
          message: last.message,
          durationMs: last.durationMs,
          startedAt: iso(last.startedAt),
          finishedAt: iso(last.finishedAt),
          details: last.details ?? {},
        },
  }
}

const INDEX = `kafka-healthz ${VERSION}
/livez      200 while the watched process itself answers (?verbose, /livez/<check>, ?exclude=<check>)
/readyz     200 while it should receive traffic
/startupz   200 once it has come up
/connectors/<name>  one connector and its tasks, as JSON: 200 healthy, 503 not (with --connect-url)
/status     every check's last result, as JSON (?pretty: indented)
/metrics    Prometheus metrics
/prestop    the preStop hook: waits until stopping the broker takes no partition below min ISR (a controller: keeps a caught-up majority)
/ping       the agent's own liveness (503 only if its check loop is stuck); never touches a peer
`

/** /, /ping and /status: for people and for the agent's own liveness. Reads the cache only. */
export function statusRoutes (app: FastifyInstance, agent: Agent): void {
  app.get('/', async (_req, reply) => reply.type('text/plain; charset=utf-8').send(INDEX))

  // The agent's own liveness: it fails only when the agent's check loop is stuck (STALE), so
  // the kubelet restarts the sidecar rather than the broker. It never asks a peer.
  app.get('/ping', async (_req, reply) => {
    reply.header('cache-control', 'no-store').type('text/plain; charset=utf-8')
    if (agent.runner.stale) return await reply.code(503).send('STALE: the agent\'s check loop has stopped running; see /status\n')
    return await reply.send('ok\n')
  })

  // One body per state, shared by every request that asks while it holds: a client that asks and
  // never reads pins the Buffer it was sent, not a copy of its own (20 such clients once held
  // 600 MB). The key moves with every recorded run, with the lifecycle and once a second (uptime,
  // staleness), so nobody reads an older state than a fresh build would give.
  // ?pretty indents it for a person with curl (kubectl's and Elasticsearch's convention).
  const memos: Record<'compact' | 'pretty', { key: string, body: Buffer } | undefined> = { compact: undefined, pretty: undefined }
  app.get<{ Querystring: { pretty?: unknown } }>('/status', async (req, reply) => {
    const now = Date.now()
    const { lifecycle, runner } = agent
    const key = `${runner.generation}:${Math.floor((now - agent.startedAt) / 1000)}:${String(lifecycle.shuttingDown)}:${lifecycle.stopping}`
    const form = req.query.pretty === undefined ? 'compact' : 'pretty'
    let memo = memos[form]
    if (memo?.key !== key) {
      memo = { key, body: Buffer.from(JSON.stringify(statusOf(agent, now), firstLineOfTraces, form === 'pretty' ? 2 : undefined) + (form === 'pretty' ? '\n' : '')) }
      memos[form] = memo
    }
    return await reply.header('cache-control', 'no-store').type('application/json; charset=utf-8').send(memo.body)
  })
}

/**
 * Stack traces from the worker are long and multi-line: /status carries their first line only,
 * so its size grows with connectors, not with the depth of their traces (520 connectors with 8
 * failing tasks each made a 10 MB page). /connectors/<name> has the trace itself.
 */
function firstLineOfTraces (key: string, value: unknown): unknown {
  return key === 'trace' && typeof value === 'string' ? value.split('\n', 1)[0] : value
}

function statusOf (agent: Agent, now: number): Record<string, unknown> {
    const views = agent.runner.names.flatMap((n) => agent.runner.view(n) ?? [])
    return {
      version: VERSION,
      startedAt: iso(agent.startedAt),
      uptimeSeconds: Math.round((now - agent.startedAt) / 1000),
      shuttingDown: agent.lifecycle.shuttingDown,
      probes: Object.fromEntries(PROBES.map((p) => {
        const v = agent.probes.evaluate(p)
        return [p, { ok: v.ok, checks: agent.probes.checksOf(p) }]
      })),
      checks: Object.fromEntries(views.map((v) => [v.name, checkStatus(v)])),
      config: publicOptions(agent.config),
    }
}
