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
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Agent } from './agent'
import { connectorRoutes } from './http/connector-routes'
import { prestopRoutes } from './http/prestop-routes'
import { probeRoutes } from './http/probe-routes'
import { statusRoutes } from './http/status-routes'

const KNOWN_PATH = /^\/(?:(?:livez|readyz|startupz)(?:\/[^/]+)?|connectors\/[^/]+|status|metrics|ping|prestop)?$/

export interface AppDeps {
  readonly agent: Agent
  readonly logger: Logger
}

/** Builds the app from its dependencies. It never listens: server.ts does, tests use inject(). */
export function buildApp ({ agent, logger }: AppDeps): FastifyInstance {
  // Typed as fastify's base logger so the instance has fastify's default generics.
  const loggerInstance: FastifyBaseLogger = logger
  const app = Fastify({
    loggerInstance,
    // Probes arrive every few seconds from every kubelet: logging each at info is noise.
    logController: new LogController({ disableRequestLogging: true }),
    // fastify makes a child logger per request; with pino's redaction that was the single
    // biggest cost of a probe answer (bench/serve.ts). Requests log through the app logger.
    childLoggerFactory: (parent) => parent,
    // A probe has nothing to send us; refuse large bodies early.
    bodyLimit: 1024,
    // Connector names can be long; the default 100 would turn a real name into a 404.
    routerOptions: { maxParamLength: 1024 },
  })

  // Counted and logged when the response is done; callback style, because an async hook costs a
  // promise on every probe (bench/serve.ts). Requests log at debug only.
  const debug = logger.isLevelEnabled('debug')
  app.addHook('onResponse', (req, reply, done) => {
    agent.metrics.probeRequest(req.routeOptions.url ?? 'unmatched', reply.statusCode)
    if (debug) req.log.debug({ method: req.method, url: req.url, statusCode: reply.statusCode, ms: reply.elapsedTime }, 'request')
    done()
  })

  probeRoutes(app, agent)
  statusRoutes(app, agent)
  connectorRoutes(app, agent)
  prestopRoutes(app, agent, logger)

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
