// The manifests in k8s/, without a cluster: each one validates against the Kubernetes (or
// prometheus-operator) schema offline, the kustomizations name every file, and the YAML agrees
// with the code — the sidecar's environment is a configuration the agent accepts, every probe
// and hook path is a route that agent serves on the port it listens on, and Services, monitors
// and pods select each other.
import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { parseAllDocuments } from 'yaml'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import type { IContainer, IPodSpec, IProbe } from 'kubernetes-models/v1'
import { createAgent } from '../../src/agent'
import { buildApp } from '../../src/http/app'
import { createLogger } from '../../src/log/logger'
import { configFrom } from '../helpers/agent'

const K8S = resolve(__dirname, '..', '..', 'k8s')

interface Doc { file: string, obj: Record<string, unknown> & { apiVersion: string, kind: string, metadata: { name: string, labels?: Record<string, string>, annotations?: Record<string, string> } } }

function yamlFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) return e === 'tests' ? [] : yamlFiles(p)
    return /\.ya?ml$/.test(e) && !e.startsWith('kustomization') ? [p] : []
  })
}

const docs: Doc[] = yamlFiles(K8S).flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
  return { file: relative(K8S, file), obj: d.toJS() as Doc['obj'] }
}))
const ofKind = <T = Doc['obj']>(kind: string): T[] => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj as T)

const MODELS: Record<string, new (data: never) => { validate: () => void }> = {
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'monitoring.coreos.com/v1/PodMonitor': PodMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
}

t.test('every manifest validates against its schema', async (t) => {
  t.ok(docs.length >= 10, `found ${docs.length} documents`)
  for (const { file, obj } of docs) {
    const Model = MODELS[`${obj.apiVersion}/${obj.kind}`]
    if (Model === undefined) { t.fail(`${file}: no schema known for ${obj.apiVersion} ${obj.kind}`); continue }
    t.doesNotThrow(() => { new Model(obj as never).validate() }, `${file}: ${obj.kind} ${obj.metadata.name}`)
  }
  // The validator does catch what it should (so a pass above means something).
  t.throws(() => { new Service({ metadata: { name: 'x' }, spec: { ports: [{ port: 'nine' }] } } as never).validate() })
})

t.test('kustomizations name every manifest, and only files that exist', async (t) => {
  const listed = new Set<string>()
  const visit = (dir: string): void => {
    const k = parseAllDocuments(readFileSync(join(dir, 'kustomization.yaml'), 'utf8'))[0]?.toJS() as { resources?: string[], configMapGenerator?: Array<{ files?: string[] }> }
    for (const r of k.resources ?? []) {
      const p = join(dir, r)
      t.ok(existsSync(p), `${relative(K8S, dir) || '.'}: ${r} exists`)
      if (existsSync(p) && statSync(p).isDirectory()) visit(p); else listed.add(relative(K8S, p))
    }
    for (const f of (k.configMapGenerator ?? []).flatMap((g) => g.files ?? [])) {
      t.ok(existsSync(join(dir, f)), `${relative(K8S, dir)}: generator file ${f} exists`)
    }
  }
  visit(K8S)
  t.same([...new Set(docs.map((d) => d.file))].filter((f) => !listed.has(f)), [], 'no manifest is left out of the kustomization')
})

interface Workload { kind: string, metadata: { name: string }, spec: { replicas?: number, serviceName?: string, podManagementPolicy?: string, selector: { matchLabels: Record<string, string> }, template: { metadata: { labels: Record<string, string>, annotations?: Record<string, string> }, spec: IPodSpec } } }
const workloads = [...ofKind<Workload>('StatefulSet'), ...ofKind<Workload>('Deployment')]

/** The sidecar's environment as the kubelet would give it, with made-up values for fieldRefs. */
function sidecarEnv (c: IContainer, podName: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const e of c.env ?? []) {
    const field = e.valueFrom?.fieldRef?.fieldPath
    env[e.name] = e.value ?? (field === 'metadata.name' ? podName : field === 'status.podIP' ? '10.1.2.3' : field === 'metadata.namespace' ? 'kafka' : undefined)
    t.not(env[e.name], undefined, `${c.name}: ${e.name} has a value`)
  }
  return env
}

function allContainers (spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers]
}

function sidecarOf (w: Workload): IContainer {
  const c = (w.spec.template.spec.initContainers ?? []).find((i) => i.name === 'healthz')
  if (c === undefined) throw new Error(`${w.metadata.name}: no healthz sidecar`)
  return c
}

for (const w of workloads) {
  t.test(`${w.kind} ${w.metadata.name}: probes reach routes the sidecar serves`, async (t) => {
    const pod = w.spec.template
    const podName = `${w.metadata.name}-1`
    const sidecar = sidecarOf(w)
    t.equal(sidecar.restartPolicy, 'Always', 'a native sidecar: up before the main container, down after it')
    t.match(sidecar.image, /^[\w./-]+\/kafka-healthz:\d+\.\d+\.\d+$/, 'a pinned image version')

    // The environment must be a configuration the agent accepts (files and addresses stubbed).
    const files: string[] = []
    const config = configFrom([], sidecarEnv(sidecar, podName), {
      readFile: (p) => { files.push(p); return 'from-a-file\n' },
      hostname: podName,
      localAddresses: () => ['10.1.2.3'],
    })
    const portByName = new Map(allContainers(pod.spec).flatMap((c) => (c.ports ?? []).map((p) => [p.name ?? '', p.containerPort] as const)))
    t.equal(portByName.get('healthz'), config.port, 'the container port named healthz is the port the agent listens on')
    t.equal(pod.metadata.annotations?.['prometheus.io/port'], String(config.port), 'scrape annotation port')
    t.equal(pod.metadata.annotations?.['prometheus.io/path'], '/metrics')

    for (const f of files) {
      const mount = (sidecar.volumeMounts ?? []).find((m) => f.startsWith(`${m.mountPath}/`))
      t.ok(mount, `${f} is on a mounted volume`)
      const volume = pod.spec.volumes?.find((v) => v.name === mount?.name)
      const key = f.slice((mount?.mountPath.length ?? 0) + 1)
      const secret = ofKind<{ metadata: { name: string }, stringData?: Record<string, string>, data?: Record<string, string> }>('Secret').find((s) => s.metadata.name === volume?.secret?.secretName)
      t.ok(secret !== undefined && key in { ...secret.stringData, ...secret.data }, `${f} comes from Secret ${String(volume?.secret?.secretName)} key ${key}`)
    }

    // prestopTimeout 0: GET /prestop answers at once (this agent runs no checks to wait for).
    const agent = createAgent({ ...config, prestopTimeout: 0 }, { logger: createLogger('silent') })
    const app = buildApp({ agent, logger: createLogger('silent') })
    t.teardown(async () => { await app.close(); await agent.close() })
    const probes: Array<[string, IProbe, IContainer]> = []
    for (const c of allContainers(pod.spec)) {
      for (const kind of ['startupProbe', 'readinessProbe', 'livenessProbe'] as const) {
        const p = c[kind]
        if (p !== undefined) probes.push([`${c.name} ${kind}`, p, c])
      }
      const hook = c.lifecycle?.preStop
      if (hook?.httpGet !== undefined) probes.push([`${c.name} preStop`, hook, c])
    }
    t.ok(probes.length >= 4)
    for (const [what, p, c] of probes) {
      t.notOk(p.exec ?? p.tcpSocket, `${what}: httpGet, not exec or tcpSocket`)
      const get = p.httpGet
      if (get === undefined) continue
      // The kubelet resolves a port name among the probed container's own ports only.
      const own = new Map((c.ports ?? []).map((cp) => [cp.name ?? '', cp.containerPort] as const))
      const port = typeof get.port === 'number' ? get.port : own.get(get.port)
      t.equal(port, config.port, `${what}: port ${String(get.port)} is the agent's`)
      const res = await app.inject({ method: 'GET', url: get.path ?? '/' })
      t.not(res.statusCode, 404, `${what}: ${String(get.path)} is a route`)
      t.not(res.statusCode, 405, `${what}: GET ${String(get.path)} is allowed`)
    }

    const main = pod.spec.containers[0]
    t.equal(main?.startupProbe?.httpGet?.path, '/startupz')
    t.equal(main?.readinessProbe?.httpGet?.path, '/readyz')
    t.equal(main?.livenessProbe?.httpGet?.path, '/livez')
    t.equal(sidecar.livenessProbe?.httpGet?.path, '/ping', "the sidecar's own liveness is /ping")
    const startup = main?.startupProbe
    t.ok((startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3) >= 600, 'the startup probe allows at least 10 minutes (log recovery, group join)')
  })

  t.test(`${w.kind} ${w.metadata.name}: restrictive security context and resources`, async (t) => {
    const spec = w.spec.template.spec
    t.equal(spec.securityContext?.runAsNonRoot, true)
    t.equal(spec.securityContext?.seccompProfile?.type, 'RuntimeDefault')
    for (const c of allContainers(spec)) {
      const sc = c.securityContext
      t.equal(sc?.readOnlyRootFilesystem, true, `${c.name}: read-only root filesystem`)
      t.equal(sc?.allowPrivilegeEscalation, false, `${c.name}: no privilege escalation`)
      t.same(sc?.capabilities?.drop, ['ALL'], `${c.name}: all capabilities dropped`)
      t.not(sc?.runAsNonRoot ?? spec.securityContext?.runAsNonRoot, false, `${c.name}: non-root`)
      t.ok(c.resources?.requests?.memory !== undefined && c.resources.limits?.memory !== undefined, `${c.name}: memory request and limit`)
      t.ok(c.resources?.requests?.cpu !== undefined, `${c.name}: cpu request`)
      for (const e of c.env ?? []) {
        t.notMatch(e.name, /PASSWORD$|HEADERS$|TOKEN/, `${c.name}: no secret as a plain env value (${e.name})`)
      }
    }
  })

  t.test(`${w.kind} ${w.metadata.name}: Services and monitors select its pods`, async (t) => {
    const labels = w.spec.template.metadata.labels
    const matches = (sel: Record<string, string>): boolean => Object.entries(sel).every(([k, v]) => labels[k] === v)
    t.ok(matches(w.spec.selector.matchLabels), 'own selector matches the template')
    const ports = new Set(allContainers(w.spec.template.spec).flatMap((c) => (c.ports ?? []).map((p) => p.name)))
    const services = ofKind<{ metadata: { name: string }, spec: { selector: Record<string, string>, ports: Array<{ targetPort?: string | number }> } }>('Service').filter((s) => matches(s.spec.selector))
    t.ok(services.length >= 1, 'at least one Service selects it')
    for (const s of services) {
      for (const p of s.spec.ports) t.ok(typeof p.targetPort !== 'string' || ports.has(p.targetPort), `Service ${s.metadata.name}: target port ${String(p.targetPort)} exists`)
    }
    const monitors = ofKind<{ spec: { selector: { matchExpressions?: Array<{ key: string, operator: string, values?: string[] }>, matchLabels?: Record<string, string> }, podMetricsEndpoints: Array<{ port?: string, path?: string }> } }>('PodMonitor')
    const selected = monitors.filter((m) => matches(m.spec.selector.matchLabels ?? {}) &&
      (m.spec.selector.matchExpressions ?? []).every((e) => e.operator === 'In' && (e.values ?? []).includes(labels[e.key] ?? '')))
    t.equal(selected.length, 1, 'exactly one PodMonitor scrapes it')
    for (const m of selected) {
      for (const ep of m.spec.podMetricsEndpoints) {
        t.ok(ep.port !== undefined && ports.has(ep.port), `PodMonitor port ${String(ep.port)} exists`)
        t.equal(ep.path ?? '/metrics', '/metrics')
      }
    }
  })
}

t.test('the KRaft StatefulSet', async (t) => {
  const [sts] = ofKind<Workload>('StatefulSet')
  if (sts === undefined) throw new Error('no StatefulSet')
  t.equal(sts.spec.replicas, 3)
  t.equal(sts.spec.podManagementPolicy, 'Parallel', 'OrderedReady would deadlock: no broker is ready before the quorum is up')
  const headless = ofKind<{ metadata: { name: string }, spec: { clusterIP?: string, publishNotReadyAddresses?: boolean } }>('Service').find((s) => s.metadata.name === sts.spec.serviceName)
  t.equal(headless?.spec.clusterIP, 'None', 'serviceName is a headless Service')
  t.equal(headless?.spec.publishNotReadyAddresses, true, 'controllers find each other before they are ready')

  const kafka = sts.spec.template.spec.containers.find((c) => c.name === 'kafka')
  const env = new Map((kafka?.env ?? []).map((e) => [e.name, e.value]))
  t.match(kafka?.command?.join(' ') ?? '', 'KAFKA_NODE_ID="${POD_NAME##*-}"', 'node id from the pod name')
  const voters = (env.get('KAFKA_CONTROLLER_QUORUM_VOTERS') ?? '').split(',')
  t.same(voters.map((v) => v.split('@')[0]), ['0', '1', '2'], 'one voter per replica, ids = ordinals')
  voters.forEach((v, i) => { t.match(v, `${sts.metadata.name}-${i}.${String(sts.spec.serviceName)}.`, `voter ${i} is pod ${i}`) })
  t.match(env.get('KAFKA_ADVERTISED_LISTENERS') ?? '', `$(POD_NAME).${String(sts.spec.serviceName)}.`, 'advertises its own stable DNS name')

  const sidecar = sidecarOf(sts)
  const config = configFrom([], sidecarEnv(sidecar, 'kafka-2'), { hostname: 'kafka-2' })
  t.equal(config.kafka?.brokerId, 2, 'the agent derives the same node id from the pod name')

  const grace = sts.spec.template.spec.terminationGracePeriodSeconds ?? 30
  t.equal(kafka?.lifecycle?.preStop?.httpGet?.path, '/prestop', 'the broker stops only when that takes no partition below min ISR')
  t.equal(config.inSync, true, 'readiness includes the in-sync check')
  t.ok(grace >= config.prestopTimeout / 1000 + 120, `terminationGracePeriodSeconds ${grace} leaves at least 2 minutes for controlled shutdown after a ${config.prestopTimeout / 1000}s preStop`)
})
