/**
 * kafka-healthz HTTP surface. Every handler reads the check cache; none calls Kafka or Connect.
 *
 *   GET /livez     200 while the watched process answers; 503 otherwise. Only checks of the
 *                  process itself, because a liveness failure restarts the container.
 *   GET /readyz    200 while the pod should receive traffic; 503 (with Retry-After) otherwise,
 *                  and at once on SIGTERM (reason SHUTTING_DOWN).
 *   GET /startupz  200 once the startup checks pass (the kubelet stops asking after that).
 *     All three: ?verbose lists every check, /<probe>/<check> reads one, ?exclude=<check>
 *     leaves one out (kube-apiserver conventions). Bodies are plain text with the reason.
 *   GET /connectors/<name>  200/503 JSON for one connector at the last run; 404 when unknown.
 *   GET /status    200 JSON: every check's verdict, last run and details; redacted config.
 *   GET /metrics   200 Prometheus text format.
 *   GET /ping      200 "ok": the agent's own liveness, independent of any peer; 503 when the
 *                  agent's check loop is stuck (STALE), which /livez deliberately ignores.
 *   GET /prestop   the broker's preStop hook: blocks until stopping the broker takes no partition
 *                  below min.insync.replicas (or --prestop-timeout), failing /readyz meanwhile.
 *                  The one handler that waits, and it waits on the cache, not on Kafka.
 *   GET /          200 this list, for people with curl.
 * GET and HEAD only: other methods on these paths get 405, unknown paths 404.
 */
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Agent } from '../agent'
import { probeRoutes } from './probe-routes'
import { statusRoutes } from './status-routes'

const KNOWN_PATH = /^\/(?:(?:livez|readyz|startupz)(?:\/[^/]+)?|connectors\/[^/]+|status|metrics|ping|prestop)?$/

/** See connectionTimeout below. */
export const IDLE_SOCKET_MS = 90_000

export interface AppDeps {
  readonly agent: Agent
  readonly logger: Logger
  /** Tests shorten it. */
  readonly idleSocketMs?: number
}

/** Builds the app from its dependencies. It never listens: server.ts does, tests use inject(). */
export function buildApp ({ agent, logger, idleSocketMs = IDLE_SOCKET_MS }: AppDeps): FastifyInstance {
  const app = Fastify({
    // No logger for fastify itself. Given one, fastify makes a child logger per request and
    // listens for every response's 'finish', about 2 µs of a ~30 µs probe answer
    // (bench/pair.ts); what it would log, we log below through our own logger.
    // A probe has nothing to send us; refuse large bodies early.
    bodyLimit: 1024,
    // A socket with no traffic either way for this long is closed: a client that asks and then
    // never reads (or never finishes asking) holds a descriptor and its queued answer no longer
    // than this. Keep-alive sockets between scrapes close earlier, at fastify's 72 s keep-alive
    // timeout; /prestop, the one answer that waits in silence, lifts it for its own socket.
    connectionTimeout: idleSocketMs,
    // Connector names can be long; the default 100 would turn a real name into a 404.
    routerOptions: { maxParamLength: 1024 },
  })

  // Counted as the response goes out: an onResponse hook would make fastify listen for every
  // response's 'finish'. Callback style, because an async hook costs a promise per probe.
  app.addHook('onSend', (req, reply, payload, done) => {
    agent.metrics.probeRequest(req.routeOptions.url ?? 'unmatched', reply.statusCode)
    done(null, payload)
  })
  // Requests log at debug only (probes arrive every few seconds from every kubelet); the hook,
  // and the listeners it needs, exist only then.
  if (logger.isLevelEnabled('debug')) {
    app.addHook('onResponse', (req, reply, done) => {
      logger.debug({ reqId: req.id, method: req.method, url: req.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request')
      done()
    })
  }
  // What fastify's default handler would have logged: server errors loudly, client errors
  // (bad requests, bodies over the limit) at debug. reply.send(err) answers as fastify does.
  app.setErrorHandler((err: FastifyError, req, reply) => {
    const status = err.statusCode ?? 500
    if (status >= 500) logger.error({ err, method: req.method, url: req.url }, 'request failed')
    else logger.debug({ err: err.message, method: req.method, url: req.url, statusCode: status }, 'bad request')
    reply.send(err)
  })

  probeRoutes(app, agent)
  statusRoutes(app, agent)
  // The targets' own routes; where a target is not configured, its endpoints still answer
  // and say why there is nothing there, as they always have.
  agent.routes(app, logger)
  if (!app.hasRoute({ method: 'GET', url: '/prestop' })) {
    app.get('/prestop', { exposeHeadRoute: false }, async (_req, reply) =>
      await reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('nothing to wait for: the in-sync check is off (it needs --kafka-broker-id)\n'))
  }
  if (!app.hasRoute({ method: 'GET', url: '/connectors/:name' })) {
    app.get<{ Params: { name: string } }>('/connectors/:name', async (req, reply) =>
      await reply.code(404).header('cache-control', 'no-store').send({ name: req.params.name, error: 'the Connect checks are not enabled (--connect-url)' }))
  }

  app.get('/metrics', async (_req, reply) => {
    const body = await agent.metrics.registry.metrics()
    return reply.type(agent.metrics.registry.contentType).send(body)
  })

  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?', 1)[0] ?? ''
    reply.type('text/plain; charset=utf-8')
    if (path === '/prestop' && req.method !== 'GET') {
      return reply.code(405).header('allow', 'GET').send(`method ${req.method} not allowed; use GET\n`)
    }
    if (KNOWN_PATH.test(path) && req.method !== 'GET' && req.method !== 'HEAD') {
      return reply.code(405).header('allow', 'GET, HEAD').send(`method ${req.method} not allowed; use GET or HEAD\n`)
    }
    return reply.code(404).send(`not found: ${path}; see / for the endpoints\n`)
  })

  return app
}
