// The Prometheus and Grafana assets in k8s/monitoring: the PodMonitor and PrometheusRule are
// valid for the prometheus-operator and select the pods the manifests describe; promtool accepts
// the rules, runs their unit tests and lints the /metrics of a real agent (broker checks against
// librdkafka's mock cluster, Connect checks against the REST stand-in); and every metric an alert
// or a panel asks for is one that agent exports.
import t from 'tap'
import { spawnSync, type SpawnSyncReturns } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parse, parseAllDocuments } from 'yaml'
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1'
import { REASONS } from '../../src/targets'
import { configFrom, startAgent } from '../helpers/agent'
import { FakeOffsetsClient } from '../helpers/fake-offsets-client'
import { ConnectStandIn } from '../helpers/connect-stand-in'
import { selects, type Labels } from '../helpers/deploy-cross-check'
import { FakeQuorum } from '../helpers/fake-quorum-client'
import { MockCluster } from '../helpers/mock-cluster'

const ROOT = resolve(__dirname, '..', '..')
const DIR = join(ROOT, 'k8s', 'monitoring')
const read = (name: string): string => readFileSync(join(DIR, name), 'utf8')

interface Container { name: string, ports?: Array<{ name?: string, containerPort?: number }> }
interface Rule { alert?: string, record?: string, expr: string | number, for?: string, labels?: Labels, annotations?: Labels }
interface RuleGroup { name: string, rules: Rule[] }
interface Target { expr?: string }
interface Panel { title?: string, type: string, targets?: Target[], panels?: Panel[] }
interface Dashboard { schemaVersion: number, templating: { list: Array<{ name: string, type: string, query?: string | { query: string } }> }, panels: Panel[] }

const podMonitor = new PodMonitor(parse(read('podmonitor.yaml')) as ConstructorParameters<typeof PodMonitor>[0])
const promRule = new PrometheusRule(parse(read('prometheusrule.yaml')) as ConstructorParameters<typeof PrometheusRule>[0])
const groups = (promRule.spec.groups ?? []) as RuleGroup[]
const alerts = groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined)
const dashboard = JSON.parse(read('grafana-dashboard.json')) as Dashboard

/** The pod labels the manifests in k8s/kafka and k8s/connect put on their pods. */
const BROKER_POD: Labels = { 'app.kubernetes.io/name': 'kafka', 'app.kubernetes.io/component': 'broker', 'app.kubernetes.io/part-of': 'kafka-healthz-example' }
const CONNECT_POD: Labels = { 'app.kubernetes.io/name': 'kafka-connect', 'app.kubernetes.io/part-of': 'kafka-healthz-example' }


const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])

/**
 * Metric names a PromQL expression reads: identifiers left once strings, label matchers, ranges
 * and label lists (by, on, ...) are removed, other than function and aggregation names (followed
 * by "(") and keywords.
 */
function metricNames (expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
  const names = new Set<string>()
  for (const m of bare.matchAll(/(?<![\w.$])[a-zA-Z_:][\w:]*/g)) {
    const rest = bare.slice((m.index) + m[0].length)
    if (/^\s*\(/.test(rest) || PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue
    names.add(m[0])
  }
  return [...names]
}

/** Panel queries, rows' nested panels included, with the panel title for messages. */
function panelExprs (panels: Panel[]): Array<{ title: string, expr: string }> {
  return panels.flatMap((p) => [
    ...(p.targets ?? []).flatMap((x) => x.expr === undefined ? [] : [{ title: p.title ?? p.type, expr: x.expr }]),
    ...panelExprs(p.panels ?? []),
  ])
}

/** Template variable queries: label_values(<expr>, <label>) reads <expr>. */
function variableExprs (): Array<{ title: string, expr: string }> {
  return dashboard.templating.list.flatMap((v) => {
    if (v.type !== 'query' || v.query === undefined) return []
    const q = typeof v.query === 'string' ? v.query : v.query.query
    const m = /^label_values\((.*),\s*\w+\)$/.exec(q)
    return [{ title: `variable ${v.name}`, expr: m?.[1] ?? q }]
  })
}

/** Grafana's variables replaced by values that keep the PromQL valid. */
const concrete = (expr: string): string => expr.replaceAll('$__rate_interval', '2m').replaceAll('$namespace', 'kafka').replaceAll('$pod', '.*')

// --- promtool ------------------------------------------------------------------------------

const promtoolFound = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).error === undefined
/** Missing promtool fails in CI (scripts/setup.sh installs it) and skips the test elsewhere. */
const PROMTOOL = { skip: !promtoolFound && process.env.CI !== 'true' ? 'promtool is missing (scripts/setup.sh installs it)' : false }
const needsPromtool = (t: tap.Test): boolean => {
  if (!promtoolFound) t.fail('promtool is missing: scripts/setup.sh installs it from the prometheus package')
  return promtoolFound
}
function promtool (args: string[], opts: { cwd?: string, input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync('promtool', args, { encoding: 'utf8', timeout: 30_000, ...opts })
}
const output = (r: SpawnSyncReturns<string>): string => `${r.stdout}${r.stderr}`

function tempDir (t: tap.Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'kafka-healthz-monitoring-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  return dir
}

// --- the live agent -------------------------------------------------------------------------

let metricsText = ''
let metricsContentType = ''
/** The same agent's /metrics before anything happened: no run, no request, no preStop. */
let freshText = ''
/** The checks that agent runs. */
let agentChecks: string[] = []

t.before(async () => {
  const cluster = await MockCluster.start(1)
  const worker = await new ConnectStandIn().start()
  try {
    worker.add('orders-sink', { tasks: 2 })
    worker.connectors.get('orders-sink')!.config = { topics: 'orders' }
    worker.add('audit-source', { tasks: 1 })
    // Sink progress on, against a fake cluster: its series are in the live /metrics too.
    const offsets = new FakeOffsetsClient().topic('orders', 2, 10)
    offsets.commit('connect-orders-sink', 'orders', 0, 4)
    const config = configFrom([
      '--kafka-brokers', cluster.address(1), '--kafka-broker-id', '1',
      '--connect-url', worker.url, '--connect-kafka-bootstrap', '127.0.0.1:9', '--connect-progress-every', '1',
      // The controller target too (a quorum no mock can play: FakeQuorum), so its series are here.
      '--kafka-controller', `127.0.0.1:${FakeQuorum.port(1)}`, '--kafka-controller-id', '1',
      '--interval', '1m', '--timeout', '2s', '--failure-threshold', '1',
    ])
    const a = await startAgent(config, { quorumClientFor: new FakeQuorum().clientFor, offsetsClient: offsets }, { start: false })
    try {
      const address = await a.app.listen({ host: '127.0.0.1', port: 0 })
      agentChecks = [...a.agent.runner.names]
      freshText = await (await fetch(`${address}/metrics`)).text()
      await a.agent.runner.runCycle()
      // One failed run, then healthy again.
      worker.fault = 'http-500'
      await a.agent.runner.runCycle()
      worker.fault = 'none'
      await a.agent.runner.runCycle()
      for (const path of ['/livez', '/readyz', '/startupz']) await (await fetch(`${address}${path}`)).text()
      const res = await fetch(`${address}/metrics`)
      metricsContentType = res.headers.get('content-type') ?? ''
      metricsText = await res.text()
    } finally {
      await a.close()
    }
  } finally {
    await worker.stop()
    await cluster.stop()
  }
})

/** Series names in a Prometheus text exposition (histograms as their _bucket, _sum, _count). */
const exportedNames = (text: string): Set<string> =>
  new Set(text.split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => /^[a-zA-Z_:][\w:]*/.exec(l)?.[0] ?? l))

interface Sample { name: string, labels: Labels, value: number }

/** Samples of a Prometheus text exposition, and the TYPE of each family. */
function parseExposition (text: string): { samples: Sample[], types: Map<string, string> } {
  const samples: Sample[] = []
  const types = new Map<string, string>()
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line)
    if (type !== null) { types.set(type[1]!, type[2]!); continue }
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (m === null) throw new Error(`not an exposition line: ${line}`)
    const labels: Labels = {}
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!
    samples.push({ name: m[1]!, labels, value: Number(m[3]) })
  }
  return { samples, types }
}

interface SeriesSelector { name: string, matchers: Array<{ label: string, op: string, value: string }> }

/** Every `name{matchers}` (or bare name) in a PromQL expression whose name is in `names`. */
function selectorsOf (expr: string, names: ReadonlySet<string>): SeriesSelector[] {
  const found: SeriesSelector[] = []
  for (const m of expr.matchAll(/(?<![\w:.$])([a-zA-Z_:][\w:]*)\s*(?:\{([^}]*)\})?/g)) {
    if (!names.has(m[1]!)) continue
    const matchers = [...(m[2] ?? '').matchAll(/(\w+)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g)].map((x) => ({ label: x[1]!, op: x[2]!, value: x[3]! }))
    found.push({ name: m[1]!, matchers })
  }
  return found
}

/** Whether a sample matches a selector, as PromQL decides (regexes anchored, absent label = ""). */
function matches (sel: SeriesSelector, s: Sample): boolean {
  if (s.name !== sel.name) return false
  return sel.matchers.every(({ label, op, value }) => {
    const v = s.labels[label] ?? ''
    if (op === '=') return v === value
    if (op === '!=') return v !== value
    const re = new RegExp(`^(?:${value})$`)
    return op === '=~' ? re.test(v) : !re.test(v)
  })
}

const render = (sel: SeriesSelector): string => `${sel.name}{${sel.matchers.map((m) => `${m.label}${m.op}"${m.value}"`).join(', ')}}`

/** Series Prometheus itself makes for every target; nothing else is exempt. */
const PROMETHEUS_MADE = new Set(['up'])

// --- tests ----------------------------------------------------------------------------------

t.test('PodMonitor: valid, selects broker and Connect pods, scrapes the healthz port', async (t) => {
  t.doesNotThrow(() => { podMonitor.validate() }, 'valid against the prometheus-operator CRD schema')
  t.equal(podMonitor.apiVersion, 'monitoring.coreos.com/v1')
  t.equal(podMonitor.kind, 'PodMonitor')
  const selector = podMonitor.spec.selector
  t.ok(selects(selector, BROKER_POD), 'selects the broker pods')
  t.ok(selects(selector, CONNECT_POD), 'selects the Connect pods')
  t.notOk(selects(selector, { 'app.kubernetes.io/name': 'zookeeper', 'app.kubernetes.io/part-of': 'kafka-healthz-example' }), 'not other pods')
  t.ok(selects(selector, { 'app.kubernetes.io/name': 'kafka-separated', 'app.kubernetes.io/component': 'controller' }), 'selects the dedicated controllers')
  t.same(selector.matchExpressions, [{ key: 'app.kubernetes.io/name', operator: 'In', values: ['kafka', 'kafka-separated', 'kafka-connect'] }])

  const endpoints = podMonitor.spec.podMetricsEndpoints
  t.equal(endpoints.length, 1)
  const ep = endpoints[0]!
  t.equal(ep.port, 'healthz')
  t.equal(ep.path, '/metrics')
  t.equal(ep.interval, '30s')
  t.same(ep.relabelings?.find((r) => r.targetLabel === 'job'), { targetLabel: 'job', replacement: 'kafka-healthz' },
    'job="kafka-healthz", which KafkaHealthzAgentDown and the "Scrape up" panel select')
  t.same(ep.relabelings?.find((r) => r.targetLabel === 'pod'), { sourceLabels: ['__meta_kubernetes_pod_name'], targetLabel: 'pod' })

  const comment = read('podmonitor.yaml')
  for (const line of ['prometheus.io/scrape: "true"', 'prometheus.io/port: "18090"', 'prometheus.io/path: /metrics']) {
    t.match(comment, line, `documents the annotation alternative: ${line}`)
  }
})

t.test('the pod manifests carry what the PodMonitor selects and scrapes', async (t) => {
  const workloads: Array<{ file: string, name: string, labels: Labels, annotations: Labels, healthz: Container }> = []
  for (const sub of ['kafka', 'kafka-separated', 'connect']) {
    const dir = join(ROOT, 'k8s', sub)
    if (!existsSync(dir)) continue
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
      for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
        const o = doc.toJS() as { kind?: string, metadata?: { name?: string }, spec?: { template?: { metadata?: { labels?: Labels, annotations?: Labels }, spec?: { containers?: Container[], initContainers?: Container[] } } } } | null
        if (o?.kind !== 'StatefulSet' && o?.kind !== 'Deployment') continue
        const pod = o.spec?.template
        const healthz = [...(pod?.spec?.containers ?? []), ...(pod?.spec?.initContainers ?? [])].find((c) => c.name === 'healthz')
        if (healthz === undefined) continue
        workloads.push({ file: `k8s/${sub}/${file}`, name: o.metadata?.name ?? '?', labels: pod?.metadata?.labels ?? {}, annotations: pod?.metadata?.annotations ?? {}, healthz })
      }
    }
  }
  if (workloads.length === 0) {
    t.plan(0, 'no StatefulSet or Deployment with a healthz container under k8s/kafka or k8s/connect yet')
    return
  }
  for (const w of workloads) {
    t.ok(selects(podMonitor.spec.selector, w.labels), `${w.file}: ${w.name}'s pods are selected`)
    t.same(w.healthz.ports?.find((p) => p.name === 'healthz')?.containerPort, 18090, `${w.file}: port healthz is 18090`)
    // One way of scraping at a time: the PodMonitor ships, the annotations are documented.
    t.same(Object.keys(w.annotations).filter((k) => k.startsWith('prometheus.io/')), [], `${w.file}: no prometheus.io/* annotations beside the PodMonitor`)
  }
})

t.test('PrometheusRule: valid, and every alert is one a platform engineer can act on', async (t) => {
  t.doesNotThrow(() => { promRule.validate() }, 'valid against the prometheus-operator CRD schema')
  t.equal(promRule.kind, 'PrometheusRule')
  const names = alerts.map((a) => a.alert)
  t.same(new Set(names).size, names.length, 'alert names are unique')
  for (const required of ['KafkaHealthzAgentDown', 'KafkaHealthzAgentStale', 'KafkaHealthzCheckTimeouts', 'KafkaBrokerNotReady',
    'KafkaConnectWorkerDown', 'KafkaConnectConnectorFailed', 'KafkaConnectTaskFailed', 'KafkaConnectConnectorNotRunning']) {
    t.ok(names.includes(required), `has ${required}`)
  }
  for (const a of alerts) {
    t.match(a.labels?.severity, /^(critical|warning|info)$/, `${a.alert}: severity`)
    t.ok(a.for !== undefined && a.for !== '0s', `${a.alert}: a for: duration, so one bad scrape or a rebalance does not page`)
    t.match(a.annotations?.summary, /\{\{ \$labels\.\w+ \}\}/, `${a.alert}: summary names what is affected`)
    t.ok((a.annotations?.description ?? '') !== '', `${a.alert}: description`)
    t.match(a.annotations?.runbook, /curl -s/, `${a.alert}: runbook says what to ask the agent`)
  }
  // Reason codes in matchers must exist: they are a closed set.
  for (const a of alerts) {
    for (const m of String(a.expr).matchAll(/reason\s*=~?\s*"([^"]+)"/g)) {
      for (const code of m[1]!.split('|')) t.ok((REASONS as readonly string[]).includes(code), `${a.alert}: reason ${code} is a real reason code`)
    }
  }
  // The connector grace period: NotRunning must outlast --connect-transition-grace (1m) by far.
  const notRunning = alerts.find((a) => a.alert === 'KafkaConnectConnectorNotRunning')
  t.match(notRunning?.for, /^(1[0-9]|[2-9][0-9])m$/, 'KafkaConnectConnectorNotRunning waits 10 minutes or more')
})

t.test('kustomization: every file it names exists; the dashboard ConfigMap is labelled for Grafana', async (t) => {
  const k = parse(read('kustomization.yaml')) as {
    resources: string[]
    configMapGenerator: Array<{ name: string, files: string[], options?: { labels?: Labels } }>
    generatorOptions?: { disableNameSuffixHash?: boolean }
  }
  t.same(k.resources, ['podmonitor.yaml', 'prometheusrule.yaml'])
  for (const f of k.resources) t.ok(existsSync(join(DIR, f)), `${f} exists`)
  const cm = k.configMapGenerator.find((g) => g.name === 'kafka-healthz-dashboard')
  t.ok(cm, 'generates kafka-healthz-dashboard')
  t.same(cm?.files, ['grafana-dashboard.json'])
  for (const f of cm?.files ?? []) t.ok(existsSync(join(DIR, f)), `${f} exists`)
  t.equal(cm?.options?.labels?.grafana_dashboard, '1', 'grafana_dashboard: "1" (a string) for the Grafana sidecar')
  t.equal(k.generatorOptions?.disableNameSuffixHash, true)
  const yamls = readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  t.same(yamls.sort(), [...k.resources].sort(), 'no manifest in k8s/monitoring is left out of the kustomization')

  const kubectl = spawnSync('kubectl', ['kustomize', DIR], { encoding: 'utf8', timeout: 30_000 })
  if (kubectl.error !== undefined) {
    t.comment('kubectl not installed: kustomize build not run')
    return
  }
  t.equal(kubectl.status, 0, kubectl.stderr)
  const built = parseAllDocuments(kubectl.stdout).map((d) => d.toJS() as { kind: string, metadata: { name: string, labels?: Labels }, data?: Labels })
  t.same(built.map((o) => `${o.kind}/${o.metadata.name}`).sort(), ['ConfigMap/kafka-healthz-dashboard', 'PodMonitor/kafka-healthz', 'PrometheusRule/kafka-healthz'])
  const configMap = built.find((o) => o.kind === 'ConfigMap')
  t.equal(configMap?.metadata.labels?.grafana_dashboard, '1')
  t.equal(configMap?.data?.['grafana-dashboard.json'], read('grafana-dashboard.json'), 'the ConfigMap holds the dashboard as is')
})

t.test('dashboard: parses, Prometheus datasource variable, namespace and pod variables, panels with queries', async (t) => {
  t.ok(dashboard.schemaVersion >= 36 && dashboard.schemaVersion <= 41, `schemaVersion ${dashboard.schemaVersion}`)
  const vars = new Map(dashboard.templating.list.map((v) => [v.name, v]))
  t.match(vars.get('datasource'), { type: 'datasource', query: 'prometheus' })
  t.match(vars.get('namespace'), { type: 'query' })
  t.match(vars.get('pod'), { type: 'query' })
  const raw = read('grafana-dashboard.json')
  t.notMatch(raw, /"uid":\s*"(?!\$\{datasource\}|kafka-healthz")/, 'every datasource goes through ${datasource}; no uid from some Grafana')
  const exprs = panelExprs(dashboard.panels)
  t.ok(exprs.length >= 15, `${exprs.length} panel queries`)
  for (const { title, expr } of exprs) {
    t.match(expr, /namespace="\$namespace"/, `${title}: filtered by $namespace`)
    t.match(expr, /pod=~"\$pod"/, `${title}: filtered by $pod`)
  }
  const titles = dashboard.panels.map((p) => p.title ?? '')
  for (const want of ['Probe verdicts', 'Check verdicts', 'Connectors now', 'Tasks by state', 'Check duration (p50, p99)', 'Check failures by reason',
    'Probe requests by endpoint and code', 'Connect REST request duration (p99)', 'Connect REST errors', 'Brokers in metadata', 'Build info',
    'Sink lag (records)', 'Sink lag (seconds behind)']) {
    t.ok(titles.includes(want), `panel "${want}"`)
  }
})

t.test('metric names: the extraction finds metrics and only metrics', async (t) => {
  t.same(
    metricNames('histogram_quantile(0.99, sum by (le, check) (rate(foo_seconds_bucket{a="b", c=~"$x"}[$__rate_interval]))) unless on (pod) (time() - bar offset 5m > 120) and baz:rec'),
    ['foo_seconds_bucket', 'bar', 'baz:rec'],
  )
  t.same(metricNames('max by (namespace, connector) (x{state!~"RUNNING|FAILED"} == 1) or sum without (pod) (y)'), ['x', 'y'])
})

t.test('every metric an alert or a panel reads is exported by the agent', async (t) => {
  const present = exportedNames(metricsText)
  const used = new Map<string, string[]>()
  const sources = [
    ...alerts.map((a) => ({ title: `alert ${a.alert ?? '?'}`, expr: String(a.expr) })),
    ...panelExprs(dashboard.panels).map((p) => ({ title: `panel ${p.title}`, expr: p.expr })),
    ...variableExprs(),
  ]
  for (const { title, expr } of sources) {
    const names = metricNames(expr)
    t.ok(names.length > 0, `${title} reads some metric`)
    for (const n of names) used.set(n, [...(used.get(n) ?? []), title])
  }
  t.ok(used.size >= 15, `${used.size} metric names used`)
  for (const expected of ['up', 'kafka_healthz_probe_up', 'kafka_healthz_check_duration_seconds_bucket', 'kafka_healthz_connect_connector_state',
    'kafka_healthz_check_failures_total', 'kafka_healthz_check_last_run_timestamp_seconds', 'kafka_healthz_build_info']) {
    t.ok(used.has(expected), `${expected} is used`)
  }
  for (const [name, where] of used) {
    t.ok(PROMETHEUS_MADE.has(name) || present.has(name), `${name} is in the agent's /metrics (used by ${where.join(', ')})`)
  }
})

t.test('promtool check rules: the PrometheusRule, and the dashboard queries as PromQL', PROMTOOL, async (t) => {
  if (!needsPromtool(t)) return
  const dir = tempDir(t)
  writeFileSync(join(dir, 'rules.yaml'), JSON.stringify({ groups: promRule.spec.groups }, null, 2))
  const rules = promtool(['check', 'rules', 'rules.yaml'], { cwd: dir })
  t.equal(rules.status, 0, output(rules))
  const count = groups.reduce((n, g) => n + g.rules.length, 0)
  t.match(rules.stdout, `SUCCESS: ${count} rules found`)

  // promtool parses PromQL; Grafana does not until someone opens the panel.
  const queries = [...panelExprs(dashboard.panels), ...variableExprs()]
  const asRules = { groups: [{ name: 'dashboard', rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: concrete(q.expr) })) }] }
  writeFileSync(join(dir, 'dashboard.yaml'), JSON.stringify(asRules, null, 2))
  const dash = promtool(['check', 'rules', 'dashboard.yaml'], { cwd: dir })
  t.equal(dash.status, 0, output(dash))
})

t.test('alert unit tests: each alert has a case in which it fires; every case names a real alert', async (t) => {
  const tests = parse(read('tests/alerts.test.yaml')) as { rule_files: string[], tests: Array<{ name: string, alert_rule_test?: Array<{ alertname: string, exp_alerts?: unknown[] }> }> }
  t.same(tests.rule_files, ['rules.yaml'], 'the unit tests read the rules this test writes')
  const defined = new Set(alerts.map((a) => a.alert))
  const firing = new Set<string>()
  for (const c of tests.tests.flatMap((x) => x.alert_rule_test ?? [])) {
    t.ok(defined.has(c.alertname), `${c.alertname} (in a unit test) is an alert of prometheusrule.yaml`)
    if ((c.exp_alerts ?? []).length > 0) firing.add(c.alertname)
  }
  for (const name of defined) t.ok(firing.has(name ?? ''), `${name ?? '?'} has a unit test in which it fires`)
})

t.test('promtool test rules: the unit tests pass', PROMTOOL, async (t) => {
  if (!needsPromtool(t)) return
  const dir = tempDir(t)
  writeFileSync(join(dir, 'rules.yaml'), JSON.stringify({ groups: promRule.spec.groups }, null, 2))
  copyFileSync(join(DIR, 'tests', 'alerts.test.yaml'), join(dir, 'alerts.test.yaml'))
  const run = promtool(['test', 'rules', 'alerts.test.yaml'], { cwd: dir })
  t.equal(run.status, 0, output(run))
  t.match(run.stdout, 'SUCCESS')
})

t.test('the live /metrics: Prometheus text format, broker and Connect series', async (t) => {
  t.match(metricsContentType, /^text\/plain; version=0\.0\.4/)
  for (const family of ['kafka_healthz_check_up', 'kafka_healthz_kafka_brokers', 'kafka_healthz_connect_connector_state', 'kafka_healthz_connect_request_errors_total',
    'kafka_healthz_connect_sink_lag_records', 'kafka_healthz_connect_sink_lag_seconds', 'kafka_healthz_connect_sink_progress']) {
    t.match(metricsText, new RegExp(`^${family}[{ ]`, 'm'), `${family} has a series`)
  }
})

t.test('promtool check metrics: the whole live /metrics lints clean, default metrics included', PROMTOOL, async (t) => {
  if (!needsPromtool(t)) return
  // The whole endpoint, as a scrape sees it: a filtered subset would hide what the filter drops.
  const all = promtool(['check', 'metrics'], { input: metricsText })
  t.equal(all.status, 0, `promtool check metrics exits 0: ${output(all)}`)
  t.equal(output(all).trim(), '', 'no lint problem reported')
  t.match(metricsText, /^process_cpu_seconds_total /m, 'the standard process_* metrics are still there')
  t.match(metricsText, /^nodejs_heap_size_used_bytes /m, 'and the nodejs_* ones')
})

// Prometheus's instrumentation guidance: a labelled counter must exist at 0 before its first
// event, or rate()/increase() never see that event (the series appears at 1: no increase). The
// agent initialises every label set it knows at start; these tests hold the alerts to that.
t.test('every series a counter-based alert reads is in a fresh agent\'s /metrics, at 0', async (t) => {
  const { samples, types } = parseExposition(freshText)
  const counters = new Set([...types].filter(([, type]) => type === 'counter').map(([name]) => name))
  t.ok(counters.has('kafka_healthz_prestop_waits_total') && counters.has('kafka_healthz_check_failures_total'), 'the counters the alerts read are declared')
  t.ok(agentChecks.length >= 5, `the agent runs broker and Connect checks: ${agentChecks.join(', ')}`)
  let selectors = 0
  for (const a of alerts) {
    for (const sel of selectorsOf(String(a.expr), counters)) {
      selectors++
      const found = samples.filter((s) => matches(sel, s))
      t.ok(found.length > 0, `${a.alert ?? '?'}: ${render(sel)} has series before any event`)
      t.same(found.filter((s) => s.value !== 0), [], `${a.alert ?? '?'}: ${render(sel)} is 0 before any event`)
      // Per check: a check whose series is missing could not raise the alert on its first event.
      if (found.some((s) => 'check' in s.labels) || sel.name.startsWith('kafka_healthz_check_')) {
        t.same([...new Set(found.map((s) => s.labels.check))].sort(), [...agentChecks].sort(), `${a.alert ?? '?'}: ${render(sel)} for every check`)
      }
    }
  }
  t.ok(selectors >= 3, `${selectors} counter selectors in the alerts`)
})

t.test('promtool: an increase() > 0 alert fires on the first event after a fresh agent\'s series', PROMTOOL, async (t) => {
  if (!needsPromtool(t)) return
  const { samples, types } = parseExposition(freshText)
  const counters = new Set([...types].filter(([, type]) => type === 'counter').map(([name]) => name))
  const target: Labels = { namespace: 'kafka', pod: 'kafka-1', instance: '10.0.0.11:18090' }
  const MINUTES = 30
  const EVENT_AT = 10
  const cases = alerts.flatMap((a) => {
    const m = /^\s*increase\((.*)\[\w+\]\)\s*>\s*0\s*$/.exec(String(a.expr))
    const sel = m === null ? undefined : selectorsOf(m[1]!, counters)[0]
    return sel === undefined ? [] : [{ alert: a, sel }]
  })
  t.ok(cases.some((c) => c.alert.alert === 'KafkaBrokerPrestopGaveUp'), `alerts on one event: ${cases.map((c) => c.alert.alert).join(', ')}`)
  const minutes = (d: string | undefined): number => {
    const m = /^(\d+)([smh])$/.exec(d ?? '0s')
    return m === null ? NaN : Number(m[1]) * { s: 1 / 60, m: 1, h: 60 }[m[2] as 's' | 'm' | 'h']
  }
  const tests = cases.map(({ alert, sel }) => {
    // What Prometheus scrapes: the fresh agent's series as it is (or nothing, if it is missing)
    // until the first event at minute 10, then one more.
    const scraped = samples.filter((s) => matches(sel, s))
    const labels: Labels = scraped[0]?.labels ?? Object.fromEntries(sel.matchers.filter((m) => m.op === '=').map((m) => [m.label, m.value]))
    const before = scraped[0]?.value
    const values = Array.from({ length: MINUTES }, (_, i) => i < EVENT_AT ? (before === undefined ? '_' : String(before)) : String((before ?? 0) + 1))
    const series = `${sel.name}{${Object.entries({ ...labels, ...target }).map(([k, v]) => `${k}="${v}"`).join(', ')}}`
    return {
      name: `${alert.alert ?? '?'}: first event at minute ${EVENT_AT}`,
      interval: '1m',
      input_series: [{ series, values: values.join(' ') }],
      alert_rule_test: [
        { eval_time: `${EVENT_AT - 1}m`, alertname: alert.alert, exp_alerts: [] },
        { eval_time: `${EVENT_AT + Math.ceil(minutes(alert.for)) + 1}m`, alertname: alert.alert, exp_alerts: [{ exp_labels: { ...labels, ...target, ...alert.labels } }] },
      ],
    }
  })
  const dir = tempDir(t)
  // Annotations left out: this test is about whether the alert fires, not what it says.
  const bare = groups.map((g) => ({ name: g.name, rules: g.rules.map((r) => ({ ...r, annotations: undefined })) }))
  writeFileSync(join(dir, 'rules.yaml'), JSON.stringify({ groups: bare }, null, 2))
  writeFileSync(join(dir, 'first-event.test.yaml'), JSON.stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }, null, 2))
  const run = promtool(['test', 'rules', 'first-event.test.yaml'], { cwd: dir })
  t.equal(run.status, 0, output(run))
})
