// deploy/bitnami/values-kafka-healthz.yaml without Helm: every key is one Bitnami's Kafka chart
// (32.4.4) has, the pod those values put together — the chart's kafka container with our probes and
// hook, our sidecar, our volume — validates against the Kubernetes schema, and it agrees with the
// code: the sidecar's environment is a configuration the agent accepts, deriving the node id the
// chart assigns, and every probe and hook path is a route that agent serves on its port.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'
import { Pod } from 'kubernetes-models/v1'
import type { IContainer, IContainerPort, ILifecycle, IProbe, IVolume } from 'kubernetes-models/v1'
import { checkTargetsAreRoutes, sidecarConfig } from '../helpers/deploy-cross-check'

const ROOT = resolve(__dirname, '..', '..')
const FILE = 'deploy/bitnami/values-kafka-healthz.yaml'
const text = readFileSync(join(ROOT, FILE), 'utf8')
const values = parse(text) as Record<string, Section>
const chart = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'bitnami-kafka-values-keys.json'), 'utf8')) as { version: string, top: string[], controller: string[], broker: string[], 'listeners.client.containerPort': number }

interface Section {
  minId?: number
  terminationGracePeriodSeconds?: number
  sidecars?: IContainer[]
  extraVolumes?: IVolume[]
  customStartupProbe?: IProbe
  customReadinessProbe?: IProbe
  customLivenessProbe?: IProbe
  lifecycleHooks?: ILifecycle
}

t.test(`every key is one chart ${chart.version} knows (Helm ignores a misspelt one)`, async (t) => {
  t.match(text, `chart version ${chart.version}`, 'the file says which chart version it targets')
  for (const key of Object.keys(values)) t.ok(chart.top.includes(key), key)
  for (const role of ['controller', 'broker'] as const) {
    t.ok(values[role] !== undefined, `has a ${role}: section`)
    for (const key of Object.keys(values[role] ?? {})) t.ok(chart[role].includes(key), `${role}.${key}`)
  }
})

for (const role of ['controller', 'broker'] as const) {
  t.test(`${role} pods: valid, and probes reach routes the sidecar serves`, async (t) => {
    const v = values[role]
    if (v === undefined) throw new Error(`no ${role}: section`)
    const sidecar = (v.sidecars ?? []).find((c) => c.name === 'healthz')
    if (sidecar === undefined) throw new Error(`${role}.sidecars has no healthz container`)
    // The kafka container as the chart renders it, with only what these values put in it.
    const kafkaPorts: IContainerPort[] = [{ name: 'controller', containerPort: 9093 }, { name: 'client', containerPort: chart['listeners.client.containerPort'] }, { name: 'interbroker', containerPort: 9094 }]
    const kafka: IContainer = {
      name: 'kafka',
      image: 'docker.io/bitnami/kafka:4.0.0',
      ports: kafkaPorts,
      ...(v.customStartupProbe !== undefined && { startupProbe: v.customStartupProbe }),
      ...(v.customReadinessProbe !== undefined && { readinessProbe: v.customReadinessProbe }),
      ...(v.customLivenessProbe !== undefined && { livenessProbe: v.customLivenessProbe }),
      ...(v.lifecycleHooks !== undefined && { lifecycle: v.lifecycleHooks }),
    }
    const pod = new Pod({
      metadata: { name: `kafka-${role}-2` },
      spec: {
        containers: [kafka, ...(v.sidecars ?? [])],
        volumes: v.extraVolumes ?? [],
        ...(v.terminationGracePeriodSeconds !== undefined && { terminationGracePeriodSeconds: v.terminationGracePeriodSeconds }),
      },
    })
    t.doesNotThrow(() => { pod.validate() }, 'the pod validates against the Kubernetes schema')
    t.throws(() => { new Pod({ metadata: { name: 'x' }, spec: { containers: [{ ...sidecar, ports: [{ containerPort: 'healthz' as never }] }] } }).validate() }, 'and the validator does catch a broken one')

    const podName = `kafka-${role}-2`
    const { config, files } = sidecarConfig(t, sidecar, podName)
    t.equal(sidecar.ports?.find((p) => p.name === 'healthz')?.containerPort, config.port, 'the container port named healthz is the port the agent listens on')
    t.equal(config.kafka?.address.split(':').at(-1), String(chart['listeners.client.containerPort']), 'the agent talks to the chart\'s client listener')
    // node.id = ordinal + minId in the chart's prepare-config script: the agent must derive the same.
    t.equal(config.kafka?.brokerId, 2 + (v.minId ?? Number.NaN), `${podName} is node ${2 + (v.minId ?? Number.NaN)} (ordinal + ${role}.minId)`)
    t.equal(config.inSync, true, 'readiness includes the in-sync check')
    t.equal(config.kafka?.sasl?.mechanism, 'plain', 'logs in to the chart\'s default SASL_PLAINTEXT listener')

    for (const f of files) {
      const mount = (sidecar.volumeMounts ?? []).find((m) => f.startsWith(`${m.mountPath}/`))
      t.ok(mount, `${f} is on a mounted volume`)
      const volume = (v.extraVolumes ?? []).find((x) => x.name === mount?.name)
      const key = f.slice((mount?.mountPath.length ?? 0) + 1)
      t.ok(volume?.secret?.items?.some((i) => i.path === key), `${f} comes from Secret ${String(volume?.secret?.secretName)}`)
    }

    t.ok(await checkTargetsAreRoutes(t, config, [kafka, sidecar]) >= 5)
    t.equal(kafka.startupProbe?.httpGet?.path, '/startupz')
    t.equal(kafka.readinessProbe?.httpGet?.path, '/readyz')
    t.equal(kafka.livenessProbe?.httpGet?.path, '/livez')
    t.equal(kafka.lifecycle?.preStop?.httpGet?.path, '/prestop')
    t.equal(sidecar.livenessProbe?.httpGet?.path, '/ping', "the sidecar's own liveness is /ping")
    const startup = kafka.startupProbe
    t.ok((startup?.periodSeconds ?? 10) * (startup?.failureThreshold ?? 3) >= 600, 'the startup probe allows at least 10 minutes of log recovery')

    // An ordinary sidecar gets SIGTERM when the broker's preStop starts: it must keep serving
    // /prestop until that answers, and the pod must have time for both and the shutdown.
    const grace = v.terminationGracePeriodSeconds ?? 30
    t.ok(config.shutdownDelay > config.prestopTimeout, `--shutdown-delay ${config.shutdownDelay / 1000}s outlasts --prestop-timeout ${config.prestopTimeout / 1000}s`)
    t.ok(grace >= config.prestopTimeout / 1000 + 120, `terminationGracePeriodSeconds ${grace} leaves at least 2 minutes for controlled shutdown after a ${config.prestopTimeout / 1000}s preStop`)
    t.ok(grace >= config.shutdownDelay / 1000, 'and the sidecar is not killed mid-drain')

    const sc = sidecar.securityContext
    t.equal(sc?.readOnlyRootFilesystem, true)
    t.equal(sc?.runAsNonRoot, true)
    t.same(sc?.capabilities?.drop, ['ALL'])
    t.ok(sidecar.resources?.limits?.memory !== undefined && sidecar.resources.requests?.cpu !== undefined, 'resources set')
  })
}

t.test('controller and broker sidecars differ only in the node id offset', async (t) => {
  const env = (role: string): Record<string, string | undefined> => Object.fromEntries((values[role]?.sidecars?.[0]?.env ?? []).map((e) => [e.name, e.value]))
  const { HEALTHZ_KAFKA_BROKER_ID_OFFSET: a, ...controller } = env('controller')
  const { HEALTHZ_KAFKA_BROKER_ID_OFFSET: b, ...broker } = env('broker')
  t.same(controller, broker)
  t.not(a, b)
})
