import type { Logger } from 'pino'
import { CHECK_REACHABLE, CHECK_REGISTERED, reachableCheck, registeredCheck } from './checks/broker-checks'
import { BROKER_REASONS, CONNECT_REASONS, RUN_REASONS, type Check, type Reason } from './checks/check'
import { CHECK_ADVERTISED, advertisedCheck } from './checks/advertised'
import { CHECK_IN_SYNC, ClusterViewStore, clusterCounts, inSyncCheck } from './checks/in-sync'
import { Probes, type Lifecycle, type ProbeWiring } from './checks/probes'
import { Runner } from './checks/runner'
import { CHECK_CONNECTORS, CHECK_CONNECT_READY, CHECK_CONNECT_WORKER, connectWorkerChecks, connectorsCheck } from './checks/connect-checks'
import type { BrokerClient } from './clients/broker-client'
import type { ConnectClient } from './clients/connect-client'
import { createUndiciConnectClient } from './clients/undici-connect-client'
import { createKafkajsBrokerClient } from './clients/kafkajs-broker-client'
import type { Config, KafkaTarget } from './config/resolve'
import { createMetrics, type KnownCheck, type Metrics } from './metrics/metrics'
import { VERSION } from './version'

/** Everything the HTTP layer and one-shot mode read from, built from config and explicit dependencies. */
export interface Agent {
  readonly config: Config
  readonly runner: Runner
  readonly probes: Probes
  readonly metrics: Metrics
  readonly lifecycle: Lifecycle
  readonly startedAt: number
  /** The cluster as the last in-sync run saw it; GET /prestop waits on it. Undefined without the in-sync check. */
  readonly clusterView: ClusterViewStore | undefined
  /** Stops the checks and closes every client connection. */
  close: () => Promise<void>
}

export interface AgentDeps {
  readonly logger: Logger
  readonly now?: () => number
  /** Monotonic clock for scheduling, staleness and grace periods; default performance.now. */
  readonly monotonic?: () => number
  /** Tests swap the clients at this seam; production uses kafkajs and undici. */
  readonly brokerClient?: BrokerClient
  /** Clients for other broker addresses (the advertised one); tests swap them too. */
  readonly brokerClientFor?: (target: KafkaTarget) => BrokerClient
  readonly connectClient?: ConnectClient
}

/** A verdict older than this many intervals (plus one timeout) has no run behind it: STALE. */
const STALE_AFTER_INTERVALS = 3

export function createAgent (config: Config, deps: AgentDeps): Agent {
  const now = deps.now ?? Date.now
  const monotonic = deps.monotonic ?? (() => performance.now())
  const lifecycle: Lifecycle = { shuttingDown: false, stopping: 0 }
  // in-sync needs to know which broker it is judging; without --kafka-broker-id it stays off.
  const inSyncOn = config.kafka !== undefined && config.inSync && config.kafka.brokerId !== undefined
  // The verdict gauges read the runner and probes lazily, at scrape time; both are built below,
  // after the checks that need the metrics.
  const metrics = createMetrics(VERSION, () => ({
    views: () => runner.names.flatMap((n) => runner.view(n) ?? []),
    probe: (name) => probes.evaluate(name),
  }), {
    ...(config.connect !== undefined && { connectMaxConnectors: config.connect.metricsMaxConnectors }),
    // /prestop is counted with the broker checks, in-sync or not (not_applicable without it).
    cluster: config.kafka !== undefined,
  })
  // The cluster metrics hang off the same metadata the in-sync check reads: one request.
  const brokerId = config.kafka?.brokerId ?? -1
  const clusterView = inSyncOn ? new ClusterViewStore((view) => { metrics.cluster?.setCounts(brokerId, view === undefined ? undefined : clusterCounts(view)) }) : undefined

  const checks: Check[] = []
  const clients: Array<{ close: () => Promise<void> }> = []
  const wiring: { livez: string[], readyz: string[], startupz: string[] } = { livez: [], readyz: [], startupz: [] }
  // Each check with the reasons its runs can fail with, so its metric series start at 0.
  const known: KnownCheck[] = []
  const knowSince = (first: number, reasons: readonly Reason[]): void => {
    for (const c of checks.slice(first)) known.push({ name: c.name, failureReasons: [...RUN_REASONS, ...reasons] })
  }
  if (config.kafka !== undefined) {
    const first = checks.length
    const client = deps.brokerClient ?? createKafkajsBrokerClient({ target: config.kafka, timeoutMs: config.timeout, logger: deps.logger })
    clients.push(client)
    const brokerDeps = { client, target: config.kafka, onBrokerCount: metrics.setBrokerCount }
    checks.push(reachableCheck(brokerDeps), registeredCheck(brokerDeps))
    wiring.livez.push(CHECK_REACHABLE)
    wiring.readyz.push(CHECK_REACHABLE, CHECK_REGISTERED)
    if (clusterView !== undefined) {
      checks.push(inSyncCheck({
        client,
        address: config.kafka.address,
        brokerId,
        excludeTopics: config.inSyncExcludeTopics,
        startupGraceMs: config.inSyncStartupGrace,
        defaultMinIsr: config.minInsyncReplicas,
        now: monotonic,
        store: clusterView,
      }))
      wiring.readyz.push(CHECK_IN_SYNC)
    } else if (config.inSync) {
      deps.logger.info('in-sync check off: it needs --kafka-broker-id (a number, or auto in a StatefulSet)')
    }
    if (config.advertisedCheck !== 'off' && config.kafka.brokerId !== undefined) {
      const logger = deps.logger
      const advertised = advertisedCheck({
        client,
        target: config.kafka,
        brokerId: config.kafka.brokerId,
        clientFor: deps.brokerClientFor ?? ((target) => createKafkajsBrokerClient({ target, timeoutMs: config.timeout, logger })),
      })
      checks.push(advertised)
      clients.push(advertised)
      // Off readiness by default: a wrong advertised address hurts clients, not this pod's
      // traffic, and failing every broker's readiness at once over a shared DNS problem would
      // take the whole cluster out of the Service.
      if (config.advertisedCheck === 'readiness') wiring.readyz.push(CHECK_ADVERTISED)
    }
    wiring.startupz.push(CHECK_REACHABLE)
    knowSince(first, BROKER_REASONS)
  }
  if (config.connect !== undefined) {
    const first = checks.length
    const client = deps.connectClient ?? createUndiciConnectClient({
      target: config.connect,
      timeoutMs: config.timeout,
      userAgent: `kafka-healthz/${VERSION}`,
      ...(metrics.connect !== undefined && { onRequest: metrics.connect.observeRequest }),
    })
    clients.push(client)
    const connectDeps = {
      client, target: config.connect, now: monotonic, timeoutMs: config.timeout, logger: deps.logger, ...(metrics.connect !== undefined && { sink: metrics.connect }),
    }
    checks.push(...connectWorkerChecks(connectDeps), connectorsCheck(connectDeps))
    // Liveness must not hang off connector state: restarting a worker does not fix a FAILED task.
    wiring.livez.push(CHECK_CONNECT_WORKER)
    wiring.readyz.push(CHECK_CONNECT_READY, CHECK_CONNECTORS)
    wiring.startupz.push(CHECK_CONNECT_READY)
    knowSince(first, CONNECT_REASONS)
  }
  metrics.initChecks(known)

  const runner = new Runner({
    checks,
    intervalMs: config.interval,
    timeoutMs: config.timeout,
    failureThreshold: config.failureThreshold,
    successThreshold: config.successThreshold,
    staleAfterMs: STALE_AFTER_INTERVALS * config.interval + config.timeout,
    now,
    monotonic,
    logger: deps.logger,
    onRun: metrics.observeRun,
  })
  const probes = new Probes(runner, wiring satisfies ProbeWiring, lifecycle)

  return {
    config,
    runner,
    probes,
    metrics,
    lifecycle,
    startedAt: now(),
    clusterView,
    close: async () => {
      await runner.stop()
      await Promise.all(clients.map(async (c) => { await c.close() }))
    },
  }
}
