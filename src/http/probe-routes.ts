import type { FastifyInstance, FastifyReply } from 'fastify'
import { PROBES, type ProbeName, type ProbeVerdict } from '../core/probes'
import type { Agent } from '../agent'
import { printable } from '../core/printable'

/** As fastify's query parser leaves it: no schema, because validating every probe request costs more than reading two keys. */
interface ProbeQuery { verbose?: unknown, exclude?: unknown }

/** `?exclude=a&exclude=b` as kube-apiserver takes it, and `?exclude=a,b` as people type it. */
function excludes (q: ProbeQuery): string[] {
  if (q.exclude === undefined) return []
  const raw: unknown[] = Array.isArray(q.exclude) ? q.exclude : [q.exclude]
  return raw.filter((e): e is string => typeof e === 'string').flatMap((e) => e.split(',')).map((e) => e.trim()).filter((e) => e !== '')
}

/**
 * kube-apiserver's text format: `[+]name ok`, `[-]name failed: reason`, then the verdict. Messages
 * carry peers' strings (connector names, error texts) and excludes the caller's: each goes
 * through printable(), so one line of the body is always one check.
 */
export function renderVerdict (v: ProbeVerdict, verbose: boolean): string {
  if (v.ok && !verbose && v.unknownExcludes.length === 0) return 'ok\n'
  const lines = v.lines.map((l) => {
    if (l.excluded) return `[+]${l.name} excluded: ${l.ok ? 'ok' : `${l.reason}: ${printable(l.message)}`}`
    return l.ok ? `[+]${l.name} ok` : `[-]${l.name} failed: ${l.reason}: ${printable(l.message)}`
  })
  if (v.unknownExcludes.length > 0) {
    lines.push(`warn: some health checks cannot be excluded: no matches for ${v.unknownExcludes.map((e) => `"${printable(e)}"`).join(', ')}`)
  }
  lines.push(`${v.probe} check ${v.ok ? 'passed' : 'failed'}`)
  return lines.join('\n') + '\n'
}

/**
 * /livez, /readyz, /startupz and /<probe>/<check>. Handlers read the cache through `probes`
 * and nothing else: a hung broker cannot slow a kubelet probe down.
 */
export function probeRoutes (app: FastifyInstance, agent: Agent): void {
  const retryAfter = String(Math.max(1, Math.ceil(agent.config.interval / 1000)))

  function plainText (reply: FastifyReply): void {
    // The answer is only as fresh as the last run; no proxy or client should keep it.
    reply.header('cache-control', 'no-store')
    reply.type('text/plain; charset=utf-8')
  }

  function send (reply: FastifyReply, v: ProbeVerdict, verbose: boolean): string {
    reply.code(v.ok ? 200 : 503)
    plainText(reply)
    if (!v.ok) reply.header('retry-after', retryAfter)
    return renderVerdict(v, verbose)
  }

  function sendOk (reply: FastifyReply): string {
    plainText(reply)
    return 'ok\n'
  }

  for (const probe of PROBES) {
    app.get<{ Querystring: ProbeQuery }>(`/${probe}`, async (req, reply) => {
      // The kubelet's request (no query) on a passing probe: the answer is 'ok', no verdict to build.
      if (req.query.verbose === undefined && req.query.exclude === undefined && agent.probes.passes(probe)) return sendOk(reply)
      const v = agent.probes.evaluate(probe, { exclude: excludes(req.query) })
      return send(reply, v, req.query.verbose !== undefined)
    })

    app.get<{ Querystring: ProbeQuery, Params: { check: string } }>(`/${probe}/:check`, async (req, reply) => {
      const { check } = req.params
      if (!agent.probes.checksOf(probe).includes(check)) return unknownCheck(reply, probe, check, agent.probes.checksOf(probe))
      return send(reply, agent.probes.evaluate(probe, { only: check }), req.query.verbose !== undefined)
    })
  }
}

function unknownCheck (reply: FastifyReply, probe: ProbeName, check: string, known: readonly string[]): string {
  reply.code(404).type('text/plain; charset=utf-8')
  return `no check ${printable(JSON.stringify(check))} in ${probe}; its checks: ${known.join(', ') || 'none'}\n`
}
