// What test/deploy/*.test.ts use to hold deployment files (k8s/, deploy/bitnami, deploy/compose)
// against the code: the sidecar's environment resolved as a real agent configuration, and every
// probe or hook path asked of a real agent app on the port it listens on.
import type { Test } from 'tap'
import type { IContainer, IProbe } from 'kubernetes-models/v1'
import { createAgent } from '../../src/agent'
import { buildApp } from '../../src/http/app'
import type { Config } from '../../src/config/resolve'
import { createLogger } from '../../src/log/logger'
import { configFrom } from './agent'

export type Labels = Record<string, string>
export interface Requirement { key: string, operator: string, values?: string[] }
export interface Selector { matchLabels?: Labels, matchExpressions?: Requirement[] }

/** A Kubernetes label selector, as the API server evaluates it. */
export function selects (selector: Selector, labels: Labels): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false
  for (const r of selector.matchExpressions ?? []) {
    const value = labels[r.key]
    const values = r.values ?? []
    const ok = r.operator === 'In' ? value !== undefined && values.includes(value)
      : r.operator === 'NotIn' ? value === undefined || !values.includes(value)
        : r.operator === 'Exists' ? value !== undefined
          : r.operator === 'DoesNotExist' ? value === undefined
            : false
    if (!ok) return false
  }
  return true
}

/** The sidecar's environment as the kubelet would give it, with made-up values for fieldRefs. */
export function sidecarEnv (t: Test, c: IContainer, podName: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath
    env[e.name] = e.value ?? (field === 'metadata.name' ? podName : field === 'status.podIP' ? '10.1.2.3' : field === 'metadata.namespace' ? 'kafka' : undefined)
    t.not(env[e.name], undefined, `${c.name}: ${e.name} has a value`)
  }
  return env
}

/**
 * The configuration the agent in container `c` would run with (files stubbed, their paths
 * collected), or a failed assertion when the agent would refuse to start.
 */
export function sidecarConfig (t: Test, c: IContainer, podName: string): { config: Config, files: string[] } {
  const files: string[] = []
  const config = configFrom([], sidecarEnv(t, c, podName), {
    readFile: (p) => { files.push(p); return 'from-a-file\n' },
    hostname: podName,
    localAddresses: () => ['10.1.2.3'],
  })
  return { config, files }
}

export interface HttpTarget { path?: string, port: number | string }

/** Every httpGet probe and preStop hook of these containers, with the container it belongs to. */
export function httpTargets (containers: IContainer[]): Array<{ what: string, get: HttpTarget | undefined, probe: IProbe | undefined, container: IContainer }> {
  const out: Array<{ what: string, get: HttpTarget | undefined, probe: IProbe | undefined, container: IContainer }> = []
  for (const c of containers) {
    for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
      const p = c[kind]
      if (p !== undefined) out.push({ what: `${c.name} ${kind}`, get: p.httpGet, probe: p, container: c })
    }
    const hook = c.lifecycle?.preStop
    if (hook !== undefined) out.push({ what: `${c.name} preStop`, get: hook.httpGet, probe: undefined, container: c })
  }
  return out
}

/**
 * Asks an agent built from `config` for every target: each must be an httpGet (not exec or
 * tcpSocket) on the agent's port — a port name resolving among the probed container's own ports
 * only, as the kubelet resolves it — and a GET route the agent serves.
 */
export async function checkTargetsAreRoutes (t: Test, config: Config, containers: IContainer[]): Promise<number> {
  // prestopTimeout 0: GET /prestop answers at once (this agent runs no checks to wait for).
  const agent = createAgent({ ...config, prestopTimeout: 0 }, { logger: createLogger('silent') })
  const app = buildApp({ agent, logger: createLogger('silent') })
  t.teardown(async () => { await app.close(); await agent.close() })
  const targets = httpTargets(containers)
  for (const { what, get, probe, container } of targets) {
    t.notOk(probe?.exec ?? probe?.tcpSocket, `${what}: httpGet, not exec or tcpSocket`)
    t.ok(get !== undefined, `${what}: is an httpGet`)
    if (get === undefined) continue
    const own = new Map((container.ports ?? []).map((cp) => [cp.name ?? '', cp.containerPort] as const))
    const port = typeof get.port === 'number' ? get.port : own.get(get.port)
    t.equal(port, config.port, `${what}: port ${String(get.port)} is the agent's`)
    const res = await app.inject({ method: 'GET', url: get.path ?? '/' })
    t.not(res.statusCode, 404, `${what}: ${String(get.path)} is a route`)
    t.not(res.statusCode, 405, `${what}: GET ${String(get.path)} is allowed`)
  }
  return targets.length
}

/** The checks a probe endpoint of an agent built from `config` runs, and every check it has. */
export async function probeChecks (t: Test, config: Config, probe: 'livez' | 'readyz' | 'startupz'): Promise<{ runs: string[], all: string[] }> {
  const agent = createAgent(config, { logger: createLogger('silent') })
  const app = buildApp({ agent, logger: createLogger('silent') })
  t.teardown(async () => { await app.close(); await agent.close() })
  const body = (await app.inject({ url: `/${probe}?verbose` })).body
  const runs = [...body.matchAll(/^\[[+-]\]([\w-]+) /gm)].map((m) => m[1] ?? '')
  return { runs, all: [...agent.runner.names] }
}

/** Whether `text` names check `name` as a word (so "registered" is not found in "registration"). */
export function namesCheck (text: string, name: string): boolean {
  return new RegExp(`(?<![\\w-])${name.replace(/-/g, '\\-')}(?![\\w-])`).test(text)
}
