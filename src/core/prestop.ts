import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import { printable } from './printable'
import type { Lifecycle } from './probes'
import type { StopGate } from './target'
import { sameToken } from './token'
import { within } from './within'

/** How a /prestop call ended, as a metric label value. */
export type PrestopOutcome = 'safe' | 'timeout' | 'aborted' | 'not_applicable'

export interface PrestopRouteDeps {
  readonly path: string
  /** "broker" or "controller": the log lines say what is about to stop. */
  readonly subject: string
  /** The conditions, all of which must hold; the first one's message leads the answer. */
  readonly gates: readonly StopGate[]
  /** Answered at once (200) when there is no condition at all. */
  readonly nothingToWaitFor: string
  readonly record: (outcome: PrestopOutcome, seconds: number) => void
  readonly lifecycle: Lifecycle
  readonly timeoutMs: number
  /** The shared token the caller must send, read now; undefined: none asked for. */
  readonly token: () => string | undefined
  readonly logger: Logger
}

/**
 * A preStop hook (httpGet) for one pod, whatever its targets: it blocks until every condition
 * says stopping is safe, or until --prestop-timeout, and then answers 200 when safe and 503 with
 * the reason when it gave up, so a pod is never stuck and `kubectl describe pod` shows why.
 * While it waits, /readyz fails, so clients and the Service move away first. Conditions read
 * their checks' last views and re-decide at each new one; nothing here asks a peer.
 */
export function prestopRoute (app: FastifyInstance, d: PrestopRouteDeps): void {
  // Server shutdown must not wait out a long preStop: end the waits when the app closes.
  const closing = new AbortController()
  app.addHook('preClose', (done) => { closing.abort(); done() })

  // GET only: a HEAD would start a wait (and fail readiness) just the same.
  app.get(d.path, { exposeHeadRoute: false }, async (req, reply) => {
    reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store')
    // Anyone who reaches the port could otherwise make this pod unready: with a token set, a
    // caller without it is refused before any wait starts.
    const expected = d.token()
    if (expected !== undefined && !sameToken(req.headers.authorization, `Bearer ${expected}`)) {
      d.logger.warn({ remote: req.ip }, 'preStop: refused a call without the right token')
      return await reply.code(401).header('www-authenticate', 'Bearer').send('a token is required: send "Authorization: Bearer <token>" (--prestop-token-file)\n')
    }
    // The one answer that waits in silence: the server's idle-socket timeout must not cut it
    // short; --prestop-timeout bounds it instead. (inject()'s stand-in socket has no timer.)
    const socket = req.raw.socket as Partial<Pick<typeof req.raw.socket, 'setTimeout'>>
    if (typeof socket.setTimeout === 'function') socket.setTimeout(0)
    if (d.gates.length === 0) {
      d.record('not_applicable', 0)
      return await reply.send(`${d.nothingToWaitFor}\n`)
    }

    const started = performance.now()
    const gone = new AbortController()
    // The kubelet gave up (or a person pressed ^C): stop waiting. The response's close, not the
    // request's: a request stream closes as soon as its (empty) body has been read.
    reply.raw.once('close', () => { if (!reply.raw.writableFinished) gone.abort() })
    const outside = AbortSignal.any([closing.signal, gone.signal])
    const seconds = (): number => (performance.now() - started) / 1000
    d.lifecycle.stopping++
    try {
      return await within(outside, d.timeoutMs, async (signal) => {
        let logged = false
        for (;;) {
          const judged = d.gates.map((g) => g.judge(started))
          const blocking = judged.find((g) => !g.safe)
          if (blocking === undefined) {
            d.record('safe', seconds())
            const [own, ...others] = judged
            const message = `${own?.message ?? ''} (waited ${seconds().toFixed(1)}s)${own?.note ?? ''}${others.map((g) => `; ${g.message}`).join('')}`
            d.logger.info({ waitedMs: Math.round(seconds() * 1000) }, `preStop: ${message}`)
            return await reply.send(`${printable(message)}\n`)
          }
          if (signal.aborted) {
            // The bound, or the kubelet hanging up, or the agent shutting down: say which.
            const timedOut = !outside.aborted
            d.record(timedOut ? 'timeout' : 'aborted', seconds())
            const cause = timedOut ? `--prestop-timeout ${d.timeoutMs}ms` : closing.signal.aborted ? 'the agent is shutting down' : 'the caller hung up'
            const message = `gave up after ${seconds().toFixed(1)}s (${cause}): ${blocking.message}`
            d.logger.warn({ waitedMs: Math.round(seconds() * 1000) }, `preStop: ${message}`)
            return await reply.code(503).send(`${printable(message)}\n`)
          }
          // A condition still waiting for a view newer than the call has nothing to say yet.
          if (!logged && blocking.pending !== true) {
            d.logger.info({ timeoutMs: d.timeoutMs }, `preStop: waiting before the ${d.subject} stops: ${blocking.message}`)
            logged = true
          }
          // The next view of any condition: one race, each waiter ends with its view or the signal.
          await Promise.race(d.gates.map(async (g) => { await g.next(signal) }))
        }
      })
    } finally {
      d.lifecycle.stopping--
    }
  })
}
