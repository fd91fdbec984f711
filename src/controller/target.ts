import type { KafkaTarget } from '../config/resolve'
import { checkTlsMaterial } from '../config/read-option'
import type { Check } from '../core/check'
import { rotationCheck, swappable } from '../core/rotation'
import type { Target, TargetContext, TargetParts } from '../core/target'
import { createKafkajsQuorumClient, type QuorumClient } from '../kafka/seam'
import { quorumViewCheck } from './broker-view'
import { CHECK_CONTROLLER_REACHABLE, CHECK_QUORUM, controllerReachableCheck, quorumCheck } from './checks'
import { createControllerPrestopMetrics, createQuorumMetrics } from './metrics'
import { controllerPrestopRoutes, controllerStopGate } from './prestop-routes'
import { CONTROLLER_REASONS } from './reasons'
import { QuorumViewStore } from './view'

/** Test seam of the controller target; production uses the kafkajs-based quorum client. */
export interface ControllerDeps {
  /** A client for any listener (the local controller, the leader, or the broker for --quorum-metrics). */
  readonly quorumClientFor?: (target: KafkaTarget) => QuorumClient
}

/**
 * The KRaft controller in this pod (--kafka-controller): controller-reachable (liveness and
 * startup), quorum (readiness), the quorum metrics and GET /prestop. With --quorum-metrics, on a
 * broker (--kafka-brokers): the quorum-view check, for the metrics alone.
 */
function build ({ config, logger, lifecycle, registry, metricPrefix, deps }: TargetContext<ControllerDeps>): TargetParts | undefined {
  const target = config.controller
  const brokerView = config.quorumMetrics && config.kafka !== undefined
  if (target === undefined && !brokerView) return undefined
  const clientFor = deps.quorumClientFor ?? ((t: KafkaTarget) => createKafkajsQuorumClient({ target: t, timeoutMs: config.timeout, logger }))
  const boundMs = config.controllerCaughtUpBound
  const metrics = createQuorumMetrics(metricPrefix, registry, boundMs)
  const checks: Check[] = []
  const closers: Array<{ close: () => Promise<void> }> = []
  const files = [config.kafkaSaslPasswordFile, config.kafkaSaslOauthClientSecretFile, config.kafkaTlsCaFile, config.kafkaTlsCertFile, config.kafkaTlsKeyFile].some((f) => f !== '')
  if (brokerView) {
    // The broker's listener, with the broker's material: rebuilt when its secret files rotate,
    // or the quorum metrics would go dark at the next password or certificate change.
    const initial = config.kafka
    const view = swappable(clientFor(initial), config.timeout * 2)
    const client = through(view)
    closers.push(client)
    checks.push(quorumViewCheck({ client, address: initial.address, brokerId: initial.brokerId, boundMs, metrics }))
    if (files) {
      checks.push(rotationCheck({
        name: 'quorum-view-files',
        initial,
        reread: () => {
          const next = config.reread().kafka ?? initial
          checkTlsMaterial(next.tls, '--kafka-tls-*-file')
          return next
        },
        swap: (next) => { view.swap(clientFor(next)) },
        logger,
      }))
    }
  }
  if (target === undefined) {
    return { checks, probes: { livez: [], readyz: [], startupz: [] }, close: async () => { await Promise.all(closers.map(async (c) => { await c.close() })) } }
  }

  // A rotation of the secret files swaps what the checks talk through, as for the broker.
  let material = target.listener
  const holder = swappable(clientFor(material), config.timeout * 2)
  const local = through(holder)
  const store = new QuorumViewStore((q) => { metrics.set('controller', target.nodeId, q) })
  const quorum = quorumCheck({
    local,
    address: target.listener.address,
    nodeId: target.nodeId,
    boundMs,
    // The leader's listener, with this pod's TLS and SASL material as it is now.
    // A TLS server name set for the local listener (--kafka-tls-server-name) names this pod, not
    // the leader: verify the leader by the host it advertises, as the advertised check does.
    clientFor: (e) => clientFor({
      ...material,
      address: `${e.host.includes(':') ? `[${e.host}]` : e.host}:${e.port}`,
      host: e.host,
      port: e.port,
      ...(material.tls !== undefined && { tls: { ...material.tls, servername: e.host } }),
    }),
    store,
  })
  closers.push(local, quorum)
  checks.push(controllerReachableCheck({ client: local, address: target.listener.address }), quorum)
  if (files) {
    checks.push(rotationCheck({
      name: 'controller-files',
      initial: target.listener,
      reread: () => {
        const next = config.reread().controller?.listener ?? target.listener
        checkTlsMaterial(next.tls, '--kafka-tls-*-file')
        return next
      },
      swap: (next) => { material = next; holder.swap(clientFor(next)); quorum.dropLeader() },
      logger,
    }))
  }
  const prestopMetrics = createControllerPrestopMetrics(metricPrefix, registry)
  // A combined node is one pod with one preStop hook, which calls the broker's /prestop: that
  // one then waits for the quorum rule too (the gate). /controller/prestop answers for it alone.
  const combined = config.kafka !== undefined
  return {
    ...(combined && { stopGate: controllerStopGate(store, target.nodeId, boundMs) }),
    checks,
    // Startup is reachability alone, like the broker's: a controller of a cold-starting cluster
    // waits for its peers to elect a leader, and a startup probe on the quorum would restart it
    // (a healthy node) while it waits. Readiness holds the StatefulSet's rollout instead.
    probes: { livez: [CHECK_CONTROLLER_REACHABLE], readyz: [CHECK_CONTROLLER_REACHABLE, CHECK_QUORUM], startupz: [CHECK_CONTROLLER_REACHABLE] },
    close: async () => { await Promise.all(closers.map(async (c) => { await c.close() })) },
    routes: (app, ctx) => {
      controllerPrestopRoutes(app, {
        path: combined ? '/controller/prestop' : '/prestop',
        store,
        nodeId: target.nodeId,
        boundMs,
        metrics: prestopMetrics,
        lifecycle,
        timeoutMs: config.prestopTimeout,
        token: config.prestopTokenNow,
        logger: ctx.logger,
      })
    },
  }
}

/** A client that calls through whatever the holder holds now, so a rotation swaps it under the checks. */
function through (holder: ReturnType<typeof swappable<QuorumClient>>): QuorumClient {
  return {
    ping: async (signal) => { await holder.current().ping(signal) },
    describeControllers: async (signal) => await holder.current().describeControllers(signal),
    describeQuorum: async (signal) => await holder.current().describeQuorum(signal),
    close: holder.close,
  }
}

export const controllerTarget: Target<ControllerDeps> = { name: 'controller', reasons: CONTROLLER_REASONS, build }
