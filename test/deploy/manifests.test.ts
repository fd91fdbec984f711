// The manifests in k8s/, without a cluster: each one validates against the Kubernetes (or
// prometheus-operator) schema offline, the kustomizations name every file, and the YAML agrees
// with the code — the sidecar's environment is a configuration the agent accepts, every probe
// and hook path is a route that agent serves on the port it listens on, and Services, monitors
// and pods select each other — and with what an SRE asks of a workload: a disruption budget, a
// spread over nodes, one way of scraping, and a NetworkPolicy that keeps the agent's port to the
// kubelet and Prometheus while leaving Kafka's and Connect's own ports as they were.
import t from 'tap'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { isMap, isScalar, parseAllDocuments, type Document } from 'yaml'
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1'
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1'
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import type { IContainer, IPodSpec } from 'kubernetes-models/v1'
import type { INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1'
import { configFrom } from '../helpers/agent'
import { checkTargetsAreRoutes, namesCheck, probeChecks, selects, sidecarConfig, sidecarEnv, type Selector } from '../helpers/deploy-cross-check'

const K8S = resolve(__dirname, '..', '..', 'k8s')

interface Doc { file: string, doc: Document, obj: Record<string, unknown> & { apiVersion: string, kind: string, metadata: { name: string, labels?: Record<string, string>, annotations?: Record<string, string> } } }

function yamlFiles (dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e)
    if (statSync(p).isDirectory()) return e === 'tests' ? [] : yamlFiles(p)
    return /\.ya?ml$/.test(e) && !e.startsWith('kustomization') ? [p] : []
  })
}

const docs: Doc[] = yamlFiles(K8S).flatMap((file) => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
  return { file: relative(K8S, file), doc: d, obj: d.toJS() as Doc['obj'] }
}))
const ofKind = <T = Doc['obj']>(kind: string): T[] => docs.filter((d) => d.obj.kind === kind).map((d) => d.obj as T)

const MODELS: Record<string, new (data: never) => { validate: () => void }> = {
  'v1/Service': Service,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
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
  // The separated-roles layout is an alternative to kafka/, applied on its own, not from k8s/.
  visit(join(K8S, 'kafka-separated'))
  t.same([...new Set(docs.map((d) => d.file))].filter((f) => !listed.has(f)), [], 'no manifest is left out of the kustomization')
})

interface Workload { kind: string, metadata: { name: string }, spec: { replicas?: number, serviceName?: string, podManagementPolicy?: string, selector: { matchLabels: Record<string, string> }, template: { metadata: { labels: Record<string, string>, annotations?: Record<string, string> }, spec: IPodSpec } } }
const workloads = [...ofKind<Workload>('StatefulSet'), ...ofKind<Workload>('Deployment')]

/** The comment lines just above `key` in the workload's main container, as written in the file. */
function commentAbove (w: Workload, key: string): string {
  const d = docs.find((x) => x.obj.kind === w.kind && x.obj.metadata.name === w.metadata.name)
  const main = d?.doc.getIn(['spec', 'template', 'spec', 'containers', 0])
  if (!isMap(main)) return ''
  const pair = main.items.find((p) => isScalar(p.key) && p.key.value === key)
  return isScalar(pair?.key) ? pair.key.commentBefore ?? '' : ''
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
    const { config, files } = sidecarConfig(t, sidecar, podName)
    const portByName = new Map(allContainers(pod.spec).flatMap((c) => (c.ports ?? []).map((p) => [p.name ?? '', p.containerPort] as const)))
    t.equal(portByName.get('healthz'), config.port, 'the container port named healthz is the port the agent listens on')

    for (const f of files) {
      const mount = (sidecar.volumeMounts ?? []).find((m) => f.startsWith(`${m.mountPath}/`))
      t.ok(mount, `${f} is on a mounted volume`)
      const volume = pod.spec.volumes?.find((v) => v.name === mount?.name)
      const key = f.slice((mount?.mountPath.length ?? 0) + 1)
      const secret = ofKind<{ metadata: { name: string }, stringData?: Record<string, string>, data?: Record<string, string> }>('Secret').find((s) => s.metadata.name === volume?.secret?.secretName)
      t.ok(secret !== undefined && key in { ...secret.stringData, ...secret.data }, `${f} comes from Secret ${String(volume?.secret?.secretName)} key ${key}`)
    }

    t.ok(await checkTargetsAreRoutes(t, config, allContainers(pod.spec)) >= 4)

    const main = pod.spec.containers[0]
    t.equal(main?.startupProbe?.httpGet?.path, '/startupz')
    t.equal(main?.readinessProbe?.httpGet?.path, '/readyz')
    t.equal(main?.livenessProbe?.httpGet?.path, '/livez')
    t.equal(sidecar.livenessProbe?.httpGet?.path, '/ping', "the sidecar's own liveness is /ping")
    const startup = main?.startupProbe
    t.ok((startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3) >= 600, 'the startup probe allows at least 10 minutes (log recovery, group join)')

    // The comment above the startup probe says what /startupz waits for: it must name the checks
    // /startupz runs, and none that it does not (the agent's wiring, not anyone's memory of it).
    const { runs, all } = await probeChecks(t, config, 'startupz')
    t.ok(runs.length >= 1, `/startupz runs ${runs.join(', ')}`)
    const comment = commentAbove(w, 'startupProbe')
    for (const c of all) {
      t.equal(namesCheck(comment, c), runs.includes(c), `the startupProbe comment ${runs.includes(c) ? 'names' : 'does not name'} ${c}`)
    }
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
    const annotations = w.spec.template.metadata.annotations ?? {}
    t.same(Object.keys(annotations).filter((k) => k.startsWith('prometheus.io/')), [], 'no prometheus.io/* annotations beside the PodMonitor: scraped twice, every alert would fire twice')
    for (const m of selected) {
      for (const ep of m.spec.podMetricsEndpoints) {
        t.ok(ep.port !== undefined && ports.has(ep.port), `PodMonitor port ${String(ep.port)} exists`)
        t.equal(ep.path ?? '/metrics', '/metrics')
      }
    }
  })
}

t.test('the KRaft StatefulSet', async (t) => {
  const sts = ofKind<Workload>('StatefulSet').find((w) => w.metadata.name === 'kafka')
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
  const config = configFrom([], sidecarEnv(t, sidecar, 'kafka-2'), { hostname: 'kafka-2' })
  t.equal(config.kafka?.brokerId, 2, 'the agent derives the same node id from the pod name')

  const grace = sts.spec.template.spec.terminationGracePeriodSeconds ?? 30
  t.equal(kafka?.lifecycle?.preStop?.httpGet?.path, '/prestop', 'the broker stops only when that takes no partition below min ISR')
  t.equal(config.inSync, true, 'readiness includes the in-sync check')
  t.ok(grace >= config.prestopTimeout / 1000 + 120, `terminationGracePeriodSeconds ${grace} leaves at least 2 minutes for controlled shutdown after a ${config.prestopTimeout / 1000}s preStop`)
})

t.test('the separated-roles layout: 3 dedicated controllers and the brokers that use them', async (t) => {
  const controllers = ofKind<Workload>('StatefulSet').find((w) => w.metadata.name === 'kraft-controller')
  const brokers = ofKind<Workload>('StatefulSet').find((w) => w.metadata.name === 'kraft-broker')
  if (controllers === undefined || brokers === undefined) throw new Error('no kraft-controller or kraft-broker StatefulSet')
  t.equal(controllers.spec.replicas, 3, 'three voters: one may be down or rolling')
  t.ok((brokers.spec.replicas ?? 1) >= 3)
  for (const w of [controllers, brokers]) {
    t.equal(w.spec.podManagementPolicy, 'Parallel', `${w.metadata.name}: OrderedReady would deadlock before the quorum is up`)
    const headless = ofKind<{ metadata: { name: string }, spec: { clusterIP?: string, publishNotReadyAddresses?: boolean } }>('Service').find((s) => s.metadata.name === w.spec.serviceName)
    t.equal(headless?.spec.clusterIP, 'None', `${w.metadata.name}: serviceName is a headless Service`)
    t.equal(headless?.spec.publishNotReadyAddresses, true, `${w.metadata.name}: found by name while unready`)
  }
  const kafkaOf = (w: Workload): Map<string, string | undefined> => new Map((w.spec.template.spec.containers.find((c) => c.name === 'kafka')?.env ?? []).map((e) => [e.name, e.value]))
  const cEnv = kafkaOf(controllers)
  const bEnv = kafkaOf(brokers)
  t.equal(cEnv.get('KAFKA_PROCESS_ROLES'), 'controller')
  t.equal(bEnv.get('KAFKA_PROCESS_ROLES'), 'broker')
  t.equal(cEnv.get('CLUSTER_ID'), bEnv.get('CLUSTER_ID'), 'one cluster id')
  const voters = (cEnv.get('KAFKA_CONTROLLER_QUORUM_VOTERS') ?? '').split(',')
  t.same(voters.map((v) => v.split('@')[0]), ['0', '1', '2'], 'one voter per controller, ids = ordinals')
  voters.forEach((v, i) => { t.match(v, `@kraft-controller-${i}.${String(controllers.spec.serviceName)}.`, `voter ${i} is controller pod ${i}`) })
  t.equal(bEnv.get('KAFKA_CONTROLLER_QUORUM_VOTERS'), cEnv.get('KAFKA_CONTROLLER_QUORUM_VOTERS'), 'the brokers know the same voters')

  // The controller's agent watches its controller listener and judges the node the controller is.
  const cSidecar = sidecarOf(controllers)
  const cConfig = configFrom([], sidecarEnv(t, cSidecar, 'kraft-controller-2'), { hostname: 'kraft-controller-2' })
  const listener = controllers.spec.template.spec.containers[0]?.ports?.find((p) => p.name === 'controller')?.containerPort
  t.equal(cConfig.controller?.listener.port, listener, 'HEALTHZ_KAFKA_CONTROLLER is the controller listener')
  t.equal(cConfig.controller?.nodeId, 2, 'the agent derives the node id KAFKA_NODE_ID gets')
  t.equal(cConfig.kafka, undefined, 'no broker checks on a controller')
  const cMain = controllers.spec.template.spec.containers[0]
  t.equal(cMain?.lifecycle?.preStop?.httpGet?.path, '/prestop', 'a controller stops only while a caught-up majority remains')
  t.ok((controllers.spec.template.spec.terminationGracePeriodSeconds ?? 30) >= cConfig.prestopTimeout / 1000 + 30, 'the grace period covers the preStop wait')
  const ready = await probeChecks(t, cConfig, 'readyz')
  t.same(ready.runs, ['controller-reachable', 'quorum'], 'readiness is the quorum check')

  // The brokers' node ids: 100 + ordinal, in the agent as in Kafka.
  const bSidecar = sidecarOf(brokers)
  const bConfig = configFrom([], sidecarEnv(t, bSidecar, 'kraft-broker-2'), { hostname: 'kraft-broker-2' })
  t.match(brokers.spec.template.spec.containers[0]?.command?.join(' ') ?? '', 'KAFKA_NODE_ID="$((100 + ${POD_NAME##*-}))"')
  t.equal(bConfig.kafka?.brokerId, 102, 'the agent derives the same node id')
  t.equal(bConfig.quorumMetrics, true, 'the quorum as metrics on the brokers')
  const bReady = await probeChecks(t, bConfig, 'readyz')
  t.notOk(bReady.runs.some((c) => c.startsWith('quorum')), 'never in a broker\'s readiness')
  t.ok(bReady.all.includes('quorum-view'))
})

for (const w of workloads) {
  const labels = w.spec.template.metadata.labels
  const others = workloads.filter((o) => o !== w)

  t.test(`${w.kind} ${w.metadata.name}: a disruption budget, and spread over nodes`, async (t) => {
    const pdbs = ofKind<{ metadata: { name: string }, spec: { selector: Selector, maxUnavailable?: number | string, minAvailable?: number | string } }>('PodDisruptionBudget')
      .filter((p) => selects(p.spec.selector, labels))
    t.equal(pdbs.length, 1, 'exactly one PodDisruptionBudget covers its pods (two would make evictions fail)')
    const pdb = pdbs[0]
    t.equal(pdb?.spec.maxUnavailable, 1, 'a drain evicts one pod at a time')
    t.equal(pdb?.spec.minAvailable, undefined, 'maxUnavailable, not minAvailable: scaling does not silently block drains')
    t.ok((w.spec.replicas ?? 1) >= 2, 'more than one replica, so the budget lets a drain go on')
    for (const o of others) t.notOk(pdb !== undefined && selects(pdb.spec.selector, o.spec.template.metadata.labels), `the budget does not also count ${o.metadata.name}'s pods`)

    const spec = w.spec.template.spec
    const spread = (spec.topologySpreadConstraints ?? []).filter((c) => c.labelSelector !== undefined && selects(c.labelSelector, labels))
    t.same(spread.length, (spec.topologySpreadConstraints ?? []).length, 'every spread constraint counts its own pods')
    for (const c of spread) for (const o of others) t.notOk(selects(c.labelSelector as Selector, o.spec.template.metadata.labels), `a spread constraint does not count ${o.metadata.name}'s pods`)
    const byNode = spread.find((c) => c.topologyKey === 'kubernetes.io/hostname')
    const antiAffinity = (spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? []).some((a) => a.topologyKey === 'kubernetes.io/hostname')
    t.ok(byNode !== undefined || antiAffinity, 'spread over nodes (topology spread or pod anti-affinity)')
    t.equal(byNode?.maxSkew, 1)
    t.ok(spread.some((c) => c.topologyKey === 'topology.kubernetes.io/zone' && c.whenUnsatisfiable === 'ScheduleAnyway'), 'spread over zones where there are any, never blocking')
    if (w.kind === 'StatefulSet') {
      // Replication factor 3, min ISR 2: two brokers on one node means one node failure stops
      // acks=all producers. Better a Pending broker than that.
      t.equal(byNode?.whenUnsatisfiable, 'DoNotSchedule', 'brokers never share a node')
    }
  })

  t.test(`${w.kind} ${w.metadata.name}: the NetworkPolicy keeps the agent's port to the kubelet and Prometheus`, async (t) => {
    const containers = allContainers(w.spec.template.spec)
    const ports = containers.flatMap((c) => (c.ports ?? []).map((p) => ({ name: p.name, port: p.containerPort, protocol: p.protocol ?? 'TCP' })))
    const policies = ofKind<{ metadata: { name: string }, spec: { podSelector: Selector, policyTypes?: string[], ingress?: Array<{ ports?: INetworkPolicyPort[], from?: INetworkPolicyPeer[] }> } }>('NetworkPolicy')
      .filter((p) => selects(p.spec.podSelector, labels) && (p.spec.policyTypes ?? ['Ingress']).includes('Ingress'))
    t.equal(policies.length, 1, 'one NetworkPolicy selects its pods')
    const rules = policies.flatMap((p) => p.spec.ingress ?? [])
    const covers = (rule: { ports?: INetworkPolicyPort[] }, port: { name: string | undefined, port: number, protocol: string }): boolean =>
      rule.ports === undefined || rule.ports.length === 0 ||
      rule.ports.some((p) => (p.protocol ?? 'TCP') === port.protocol && (p.port === undefined || p.port === port.name || p.port === port.port ||
        (typeof p.port === 'number' && p.endPort !== undefined && port.port >= p.port && port.port <= p.endPort)))
    const open = (rule: { from?: INetworkPolicyPeer[] }): boolean => rule.from === undefined || rule.from.length === 0 ||
      rule.from.some((f) => f.ipBlock?.cidr === '0.0.0.0/0' || f.ipBlock?.cidr === '::/0')
    // Every policy port names a port these pods have (a name that resolves nowhere allows nothing).
    for (const r of rules) {
      for (const p of r.ports ?? []) t.ok(ports.some((cp) => p.port === cp.name || p.port === cp.port), `policy port ${String(p.port)} is a port of the pod`)
    }

    const { config } = sidecarConfig(t, sidecarOf(w), `${w.metadata.name}-1`)
    const agent = ports.find((p) => p.port === config.port)
    t.ok(agent, `the agent's port ${config.port} is a container port`)
    if (agent === undefined) return
    const toAgent = rules.filter((r) => covers(r, agent))
    t.ok(toAgent.length >= 1, 'some rule lets the probes and scrapes in (or none would reach the agent)')
    t.notOk(toAgent.some(open), 'no rule opens the agent port to every source')
    const peers = toAgent.flatMap((r) => r.from ?? [])
    t.ok(peers.some((p) => p.ipBlock !== undefined && p.podSelector === undefined && p.namespaceSelector === undefined), 'an ipBlock for the nodes the kubelet probes from (no selector can name them)')
    t.ok(peers.some((p) => p.namespaceSelector !== undefined && p.podSelector !== undefined), 'Prometheus by namespace and pod labels')
    for (const p of peers.filter((x) => x.ipBlock !== undefined)) t.doesNotThrow(() => { cidrParts(p.ipBlock?.cidr ?? '') }, `${String(p.ipBlock?.cidr)} is a CIDR`)

    // Everything else stays as it was before the policy: open to every source.
    for (const p of ports.filter((x) => x !== agent)) {
      t.ok(rules.some((r) => covers(r, p) && open(r)), `port ${String(p.name)} (${p.port}) stays open to every source`)
    }
  })
}

function cidrParts (cidr: string): [string, number] {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr)
  if (m === null || Number(m[2]) > 32 || (m[1] ?? '').split('.').some((o) => Number(o) > 255)) throw new Error(`not an IPv4 CIDR: ${cidr}`)
  return [m[1] ?? '', Number(m[2])]
}

t.test('the README names every manifest and placeholder a user must look at', async (t) => {
  const readme = readFileSync(resolve(K8S, '..', 'README.md'), 'utf8')
  for (const np of docs.filter((d) => d.obj.kind === 'NetworkPolicy')) {
    t.match(readme, `k8s/${np.file}`, `README points at ${np.file}`)
    t.match(readFileSync(join(K8S, np.file), 'utf8'), /REPLACE/, `${np.file} marks its placeholders`)
  }
})
