import type { FastifyInstance } from 'fastify'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import type { Config } from '../config/resolve'
import type { Check, Reason } from './check'
import type { Lifecycle, ProbeName } from './probes'
import type { Runner } from './runner'

/**
 * What every target (the broker, Connect, a controller…) is handed: the config, the uniform
 * parts the agent owns, and the test seams (`deps`, each target reads its own keys).
 */
export interface TargetContext<Deps> {
  readonly config: Config
  readonly logger: Logger
  /** Wall clock (ms), for timestamps people read. */
  readonly now: () => number
  /** Monotonic clock (ms), for grace periods and backoff: wall-clock steps change nothing. */
  readonly monotonic: () => number
  readonly lifecycle: Lifecycle
  /** The agent's one registry; a target registers its own metrics on it. */
  readonly registry: Registry
  /** Prefix of every metric name the agent exports (kafka_healthz_). */
  readonly metricPrefix: string
  readonly version: string
  readonly deps: Deps
}

/** What the HTTP layer hands a target's own routes once the runner exists. */
export interface RouteContext {
  readonly runner: Runner
  readonly lifecycle: Lifecycle
  readonly logger: Logger
  /** Other targets' conditions for stopping this pod: the one GET /prestop waits for them all. */
  readonly stopGates: readonly StopGate[]
}

/**
 * A condition for stopping the pod that a target adds to another target's GET /prestop: a
 * combined KRaft node is one pod, and a preStop hook calls one URL, so the broker's /prestop
 * must also wait for the controller's quorum rule.
 */
export interface StopVerdict {
  readonly safe: boolean
  readonly message: string
  /** Said after "(waited …)" when it leads a safe answer (a caveat). */
  readonly note?: string
  /** Not judged yet (waiting for a view newer than the call): not worth a log line. */
  readonly pending?: boolean
}

export interface StopGate {
  /** Judged on views made after `since` (performance.now()) only, so a call never acts on an old view. */
  readonly judge: (since: number) => StopVerdict
  /** Resolves at the gate's next view, or when `signal` aborts. */
  readonly next: (signal: AbortSignal) => Promise<void>
}

/** One target, built: its checks, how the probes read them, and what it owns. */
export interface TargetParts {
  readonly checks: readonly Check[]
  /** Which of its checks each probe reads. livez must only name checks of the watched process itself. */
  readonly probes: Readonly<Record<ProbeName, readonly string[]>>
  /** Clients and anything else to close on shutdown. */
  readonly close: () => Promise<void>
  /** Endpoints of its own (/prestop, /connectors/<name>); reading the cache like every route. */
  readonly routes?: (app: FastifyInstance, ctx: RouteContext) => void
  /** A condition it adds to the GET /prestop another target serves (see StopGate). */
  readonly stopGate?: StopGate
}

/** A target: its closed set of reasons, and one function that builds it from the config. */
export interface Target<Deps> {
  readonly name: string
  /**
   * The reason codes its checks fail with, besides the runner's (TIMEOUT, CHECK_ERROR,
   * SHUTTING_DOWN): metric series start at 0 from these, and alerts may name them.
   */
  readonly reasons: readonly Reason[]
  /** Undefined when the config does not ask for this target. */
  readonly build: (ctx: TargetContext<Deps>) => TargetParts | undefined
}
