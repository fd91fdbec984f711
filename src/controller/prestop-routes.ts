import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Lifecycle } from '../core/probes'
import type { StopGate } from '../core/target'
import { printable } from '../core/printable'
import { sameToken } from '../core/token'
import { within } from '../core/within'
import type { ControllerPrestopMetrics } from './metrics'
import { stopSafety } from './rules'
import type { QuorumViewStore } from './view'

export interface ControllerPrestopDeps {
  /** `/prestop`, or `/controller/prestop` when the broker's /prestop is served too (a combined node). */
  readonly path: string
  readonly store: QuorumViewStore
  readonly nodeId: number
  readonly boundMs: number
  readonly metrics: ControllerPrestopMetrics
  readonly lifecycle: Lifecycle
  readonly timeoutMs: number
  readonly token: () => string | undefined
  readonly logger: Logger
}

/**
 * GET /prestop on a controller: the preStop hook (httpGet). It blocks until stopping this
 * controller would still leave a caught-up majority of voters (this node counted as gone), or
 * until --prestop-timeout, then answers 200 when safe and 503 with the reason when it gave up, so
 * a pod is never stuck. It reads the quorum check's last answer and re-decides at each run; it
 * never asks a controller itself. While it waits, /readyz fails.
 */
/**
 * The quorum rule for stopping this controller, judged on views made after `since` only: the
 * caught-up bound (2 s) is shorter than --interval (5 s), so a view from before the call could
 * still show as caught up a voter that died since, and one more stop would lose the majority.
 */
export function controllerStopGate (store: QuorumViewStore, nodeId: number, boundMs: number): StopGate {
  return {
    judge: (since) => {
      const q = store.latest
      if (store.updatedAt === undefined || store.updatedAt < since) return { safe: false, message: 'waiting for a quorum view newer than this call (at most one --interval)' }
      if (q === undefined) return { safe: false, message: `no quorum view: ${store.lastError ?? 'the quorum check has not run yet'}` }
      const verdict = stopSafety(q, nodeId, boundMs)
      return { safe: verdict.safe, message: verdict.safe ? `safe to stop controller ${nodeId}: ${verdict.message}` : verdict.message }
    },
    next: async (signal) => { await store.next(signal) },
  }
}

export function controllerPrestopRoutes (app: FastifyInstance, d: ControllerPrestopDeps): void {
  const gate = controllerStopGate(d.store, d.nodeId, d.boundMs)
  const closing = new AbortController()
  app.addHook('preClose', (done) => { closing.abort(); done() })

  app.get(d.path, { exposeHeadRoute: false }, async (req, reply) => {
    reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store')
    const expected = d.token()
    if (expected !== undefined && !sameToken(req.headers.authorization, `Bearer ${expected}`)) {
      d.logger.warn({ remote: req.ip }, 'preStop: refused a call without the right token')
      return await reply.code(401).header('www-authenticate', 'Bearer').send('a token is required: send "Authorization: Bearer <token>" (--prestop-token-file)\n')
    }
    const socket = req.raw.socket as Partial<Pick<typeof req.raw.socket, 'setTimeout'>>
    if (typeof socket.setTimeout === 'function') socket.setTimeout(0)
    const started = performance.now()
    const gone = new AbortController()
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort() })
    const outside = AbortSignal.any([closing.signal, gone.signal])
    const elapsed = (): number => (performance.now() - started) / 1000
    d.lifecycle.stopping++
    try {
      return await within(outside, d.timeoutMs, async (signal) => {
        let first = true
        for (;;) {
          const verdict = gate.judge(started)
          if (verdict.safe) {
            d.metrics.prestop('safe', elapsed())
            const message = `${verdict.message} (waited ${elapsed().toFixed(1)}s)`
            d.logger.info({ waitedMs: Math.round(elapsed() * 1000) }, `preStop: ${message}`)
            return await reply.send(`${printable(message)}\n`)
          }
          const why = verdict.message
          if (signal.aborted) {
            const timedOut = !outside.aborted
            d.metrics.prestop(timedOut ? 'timeout' : 'aborted', elapsed())
            const cause = timedOut ? `--prestop-timeout ${d.timeoutMs}ms` : closing.signal.aborted ? 'the agent is shutting down' : 'the caller hung up'
            const message = `gave up after ${elapsed().toFixed(1)}s (${cause}): ${why}`
            d.logger.warn({ waitedMs: Math.round(elapsed() * 1000) }, `preStop: ${message}`)
            return await reply.code(503).send(`${printable(message)}\n`)
          }
          // Every call waits for one fresh view first; that is not worth a log line.
          if (first && d.store.updatedAt !== undefined && d.store.updatedAt >= started) {
            d.logger.info({ timeoutMs: d.timeoutMs }, `preStop: waiting before the controller stops: ${why}`)
            first = false
          }
          await d.store.next(signal)
        }
      })
    } finally {
      d.lifecycle.stopping--
    }
  })
}
