import type { KafkaTarget } from '../config/resolve'
import type { Check } from '../core/check'
import { rotationCheck, swappable } from '../core/rotation'
import { checkTlsMaterial } from '../config/read-option'
import type { Target, TargetContext, TargetParts } from '../core/target'
import { CHECK_ADVERTISED, advertisedCheck } from './advertised'
import { CHECK_REACHABLE, CHECK_REGISTERED, reachableCheck, registeredCheck } from './checks'
import type { BrokerClient } from './client'
import { CHECK_IN_SYNC, ClusterViewStore, clusterCounts, inSyncCheck } from './in-sync'
import { createKafkajsBrokerClient } from './kafkajs-lazy'
import { createBrokerCountMetric, createClusterMetrics } from './metrics'
import { prestopRoutes } from './prestop-routes'
import { KAFKA_REASONS } from './reasons'

/** Test seams of the broker target; production uses kafkajs. */
export interface KafkaDeps {
  readonly brokerClient?: BrokerClient
  /** Clients for other broker addresses (the advertised one). */
  readonly brokerClientFor?: (target: KafkaTarget) => BrokerClient
}

/**
 * The broker in this pod (--kafka-brokers): reachable (liveness), registered, in-sync and
 * optionally advertised (readiness), the cluster view as metrics, and GET /prestop.
 */
function build ({ config, logger, monotonic, lifecycle, registry, metricPrefix, deps }: TargetContext<KafkaDeps>): TargetParts | undefined {
  const target = config.kafka
  if (target === undefined) return undefined
  const clientFor = deps.brokerClientFor ?? ((t: KafkaTarget) => createKafkajsBrokerClient({ target: t, timeoutMs: config.timeout, logger }))
  // Checks hold one client; a rotation of the secret files swaps what it talks through.
  const holder = swappable(deps.brokerClient ?? clientFor(target), config.timeout * 2)
  let material = target
  const client: BrokerClient = {
    ping: async (signal) => { await holder.current().ping(signal) },
    clusterMetadata: async (signal) => await holder.current().clusterMetadata(signal),
    topicsMetadata: async (signal) => await holder.current().topicsMetadata(signal),
    minInsyncReplicas: async (topics, signal) => await holder.current().minInsyncReplicas(topics, signal),
    close: holder.close,
  }
  const closers: Array<{ close: () => Promise<void> }> = [client]
  const brokerCount = createBrokerCountMetric(metricPrefix, registry)
  // /prestop is counted whenever the broker checks run, in-sync or not (not_applicable without it).
  const cluster = createClusterMetrics(metricPrefix, registry)
  const brokerDeps = { client, target, onBrokerCount: brokerCount.setBrokerCount }
  const checks: Check[] = [reachableCheck(brokerDeps), registeredCheck(brokerDeps)]
  if (hasFiles(config)) {
    checks.push(rotationCheck({
      name: 'kafka-files',
      initial: target,
      reread: () => {
        const next = config.reread().kafka ?? target
        checkTlsMaterial(next.tls, '--kafka-tls-*-file')
        return next
      },
      swap: (next) => { material = next; holder.swap(clientFor(next)) },
      logger,
    }))
  }
  const readyz = [CHECK_REACHABLE, CHECK_REGISTERED]

  // in-sync needs to know which broker it is judging; without --kafka-broker-id it stays off.
  const brokerId = target.brokerId
  let store: ClusterViewStore | undefined
  if (config.inSync && brokerId !== undefined) {
    // The cluster metrics hang off the same metadata the in-sync check reads: one request.
    store = new ClusterViewStore((view) => { cluster.setCounts(brokerId, view === undefined ? undefined : clusterCounts(view)) })
    checks.push(inSyncCheck({
      client,
      address: target.address,
      brokerId,
      excludeTopics: config.inSyncExcludeTopics,
      startupGraceMs: config.inSyncStartupGrace,
      defaultMinIsr: config.minInsyncReplicas,
      now: monotonic,
      store,
    }))
    readyz.push(CHECK_IN_SYNC)
  } else if (config.inSync) {
    logger.info('in-sync check off: it needs --kafka-broker-id (a number, or auto in a StatefulSet)')
  }
  if (config.advertisedCheck !== 'off' && brokerId !== undefined) {
    const advertised = advertisedCheck({
      client,
      target: () => material,
      brokerId,
      clientFor,
    })
    checks.push(advertised)
    closers.push(advertised)
    // Off readiness by default: a wrong advertised address hurts clients, not this pod's
    // traffic, and failing every broker's readiness at once over a shared DNS problem would
    // take the whole cluster out of the Service.
    if (config.advertisedCheck === 'readiness') readyz.push(CHECK_ADVERTISED)
  }

  return {
    checks,
    probes: { livez: [CHECK_REACHABLE], readyz, startupz: [CHECK_REACHABLE] },
    close: async () => { await Promise.all(closers.map(async (c) => { await c.close() })) },
    routes: (app, ctx) => {
      prestopRoutes(app, { store, metrics: cluster, lifecycle, excludeTopics: config.inSyncExcludeTopics, timeoutMs: config.prestopTimeout, token: config.prestopTokenNow, logger: ctx.logger, gates: ctx.stopGates })
    },
  }
}

/** Files the broker target reads secrets and certificates from; with any, a rotation check runs. */
function hasFiles (config: TargetContext<KafkaDeps>['config']): boolean {
  return [config.kafkaSaslPasswordFile, config.kafkaSaslOauthClientSecretFile, config.kafkaTlsCaFile, config.kafkaTlsCertFile, config.kafkaTlsKeyFile].some((f) => f !== '')
}

export const kafkaTarget: Target<KafkaDeps> = { name: 'kafka', reasons: KAFKA_REASONS, build }
