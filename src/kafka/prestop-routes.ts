import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Lifecycle } from '../core/probes'
import type { StopGate } from '../core/target'
import type { ClusterMetrics } from './metrics'
import { listSome, minIsrOf, partitionName, stopRisk, type ClusterView, type ClusterViewStore } from './in-sync'
import { notExcluded } from '../core/glob'
import { printable } from '../core/printable'
import { sameToken } from '../core/token'
import { within } from '../core/within'

/**
 * GET /prestop: the broker container's preStop hook (httpGet). It blocks until stopping this
 * broker takes no partition below min.insync.replicas (it is in no ISR that has no member to
 * spare), or until --prestop-timeout, and then answers: 200 when safe, 503 with the reason when
 * it gave up, so a pod is never stuck and `kubectl describe pod` shows why (FailedPreStopHook).
 * While it waits, /readyz fails, so clients and the Service move away first.
 *
 * It reads the in-sync check's cluster view and re-decides at each new run; it never asks the
 * broker itself.
 */
export interface PrestopDeps {
  /** The in-sync check's cluster view; undefined without it (no broker id): nothing to wait for. */
  readonly store: ClusterViewStore | undefined
  readonly metrics: ClusterMetrics
  readonly lifecycle: Lifecycle
  readonly excludeTopics: readonly string[]
  readonly timeoutMs: number
  /** The shared token the caller must send, read now; undefined: none asked for. */
  readonly token: () => string | undefined
  readonly logger: Logger
  /** Other targets' conditions (a combined node's controller quorum): all must hold too. */
  readonly gates?: readonly StopGate[]
}

export function prestopRoutes (app: FastifyInstance, { store, metrics: cluster, lifecycle, excludeTopics, timeoutMs, token, logger, gates = [] }: PrestopDeps): void {
  // Server shutdown must not wait out a long preStop: end the waits when the app closes.
  const closing = new AbortController()
  app.addHook('preClose', (done) => { closing.abort(); done() })

  const included = notExcluded(excludeTopics)

  // GET only: a HEAD would start a wait (and fail readiness) just the same.
  app.get('/prestop', { exposeHeadRoute: false }, async (req, reply) => {
    reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store')
    // Anyone who reaches the port could otherwise make this broker unready: with a token set,
    // a caller without it is refused before any wait starts.
    const expected = token()
    if (expected !== undefined && !sameToken(req.headers.authorization, `Bearer ${expected}`)) {
      logger.warn({ remote: req.ip }, 'preStop: refused a call without the right token')
      return await reply.code(401).header('www-authenticate', 'Bearer').send('a token is required: send "Authorization: Bearer <token>" (--prestop-token-file)\n')
    }
    // The one answer that waits in silence: the server's idle-socket timeout must not cut it
    // short; --prestop-timeout bounds it instead. (inject()'s stand-in socket has no timer.)
    const socket = req.raw.socket as Partial<Pick<typeof req.raw.socket, 'setTimeout'>>
    if (typeof socket.setTimeout === 'function') socket.setTimeout(0)
    if (store === undefined && gates.length === 0) {
      cluster.prestop('not_applicable', 0)
      return await reply.send('nothing to wait for: the in-sync check is off (it needs --kafka-broker-id)\n')
    }

    const started = performance.now()
    const gone = new AbortController()
    // The kubelet gave up (or a person pressed ^C): stop waiting. The response's close, not the
    // request's: a request stream closes as soon as its (empty) body has been read.
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort() })
    const outside = AbortSignal.any([closing.signal, gone.signal])
    const waited = (): string => `${((performance.now() - started) / 1000).toFixed(1)}s`
    lifecycle.stopping++
    try {
      return await within(outside, timeoutMs, async (signal) => {
        let first = true
        for (;;) {
          const view = store?.latest
          const risk = view === undefined ? undefined : stopRisk(view, included)
          const judged = gates.map((g) => g.judge(started))
          const blocking = judged.find((g) => !g.safe)
          const partitionsSafe = store === undefined || (view !== undefined && risk !== undefined && risk.unsafe.length === 0)
          if (partitionsSafe && blocking === undefined) {
            cluster.prestop('safe', (performance.now() - started) / 1000)
            const caveat = risk === undefined || risk.stuck.length === 0
              ? ''
              : `; ${risk.stuck.length} partition${risk.stuck.length === 1 ? ' has' : 's have'} no replica to spare and none to wait for (replication factor = min.insync.replicas), so stopping takes ${risk.stuck.length === 1 ? 'it' : 'them'} below the minimum anyway: ${listSome(risk.stuck.map(partitionName))}`
            const own = view === undefined
              ? 'safe to stop this node (no partitions judged: the in-sync check is off)'
              : `safe to stop broker ${view.brokerId}: no partition it is in the ISR of is at min.insync.replicas with a replica still to catch up`
            const message = `${own} (waited ${waited()})${caveat}${judged.map((g) => `; ${g.message}`).join('')}`
            logger.info({ waitedMs: Math.round(performance.now() - started) }, `preStop: ${message}`)
            return await reply.send(`${printable(message)}\n`)
          }
          const why = !partitionsSafe
            ? view === undefined || risk === undefined
              ? `no cluster view: ${store.lastError ?? 'the in-sync check has not run yet'}`
              : describeUnsafe(view, risk.unsafe)
            : blocking?.message ?? ''
          if (signal.aborted) {
            // The bound, or the kubelet hanging up, or the agent shutting down: say which.
            const timedOut = !outside.aborted
            cluster.prestop(timedOut ? 'timeout' : 'aborted', (performance.now() - started) / 1000)
            const cause = timedOut ? `--prestop-timeout ${timeoutMs}ms` : closing.signal.aborted ? 'the agent is shutting down' : 'the caller hung up'
            const message = `gave up after ${waited()} (${cause}): ${why}`
            logger.warn({ waitedMs: Math.round(performance.now() - started) }, `preStop: ${message}`)
            return await reply.code(503).send(`${printable(message)}\n`)
          }
          if (first) logger.info({ timeoutMs: timeoutMs }, `preStop: waiting before the broker stops: ${why}`)
          first = false
          // The next view of any condition: one race, each waiter ends with its view or the signal.
          await Promise.race([...store === undefined ? [] : [store.next(signal)], ...gates.map(async (g) => { await g.next(signal) })])
        }
      })
    } finally {
      lifecycle.stopping--
    }
  })
}

function describeUnsafe (view: ClusterView, unsafe: ClusterView['partitions']): string {
  const names = unsafe.map((p) => `${partitionName(p)} (ISR ${p.isr.join(',')}; min ${minIsrOf(view, p.topic)})`)
  return `stopping broker ${view.brokerId} would leave ${unsafe.length} partition${unsafe.length === 1 ? '' : 's'} below min.insync.replicas: ${listSome(names)}`
}
