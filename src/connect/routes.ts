import type { FastifyInstance } from 'fastify'
import type { Runner } from '../core/runner'
import { CHECK_CONNECTORS } from './checks'
import type { ConnectorVerdict } from './evaluate'
import type { SinkProgress } from './progress'

/**
 * GET /connectors/<name>: 200 when that connector (and its tasks) is healthy at the last run,
 * 503 when not or when its state is unknown (the last run failed, or the cache is stale), 404
 * when the worker does not list it (or it is not selected). Reads the cache like every route:
 * no request to the agent ever becomes a request to the worker, so no name can reach another
 * Connect path. The name is the path segment percent-decoded once (a%2Fb is "a/b").
 */
export function connectorRoutes (app: FastifyInstance, runner: Runner, progressCheck?: string): void {
  app.get<{ Params: { name: string } }>('/connectors/:name', async (req, reply) => {
    const { name } = req.params
    reply.header('cache-control', 'no-store')
    const view = runner.view(CHECK_CONNECTORS)
    const list = view?.last?.details?.connectors as readonly ConnectorVerdict[] | undefined
    if (view === undefined || view.reason === 'STALE' || list === undefined) {
      return await reply.code(503).send({ name, healthy: false, reason: view?.reason ?? 'PENDING', message: `state unknown: ${view?.message ?? 'no run yet'}` })
    }
    const c = list.find((v) => v.name === name)
    if (c === undefined) return await reply.code(404).send({ name, error: 'no such connector among the selected ones' })
    // Sink progress, when on, counts here whatever its readiness policy: a RUNNING sink that does
    // not consume is unhealthy. A progress run that failed leaves the state-based verdict alone.
    const progress = progressCheck === undefined ? undefined : progressOf(runner, progressCheck, c.name)
    const healthy = c.healthy && progress?.healthy !== false
    const stalled = c.healthy && !healthy
    return await reply.code(healthy ? 200 : 503).send({
      name: c.name,
      healthy,
      reason: stalled ? progress?.reason : c.reason,
      problems: stalled ? [`${progress?.status ?? ''}: lag ${progress?.lag ?? 0}`] : c.problems,
      state: c.state,
      workerId: c.workerId,
      type: c.type,
      trace: c.trace ?? null,
      ...(c.tasksMax !== undefined && { tasksMax: c.tasksMax }),
      ...(c.restart !== undefined && { restart: c.restart }),
      tasks: c.tasks.map((t) => ({ id: t.id, state: t.state, workerId: t.workerId, healthy: t.healthy, trace: t.trace ?? null })),
      ...(progress !== undefined && { progress }),
      checkedAt: view.last === undefined ? null : new Date(view.last.finishedAt).toISOString(),
    })
  })
}

/** This connector's progress at the last sample, unless stale. */
function progressOf (runner: Runner, check: string, name: string): SinkProgress | undefined {
  const view = runner.view(check)
  if (view === undefined || view.reason === 'STALE') return undefined
  const list = view.last?.details?.connectors as readonly SinkProgress[] | undefined
  return list?.find((p) => p.name === name)
}
