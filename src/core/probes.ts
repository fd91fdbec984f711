import type { Reason } from './check'
import type { CheckView, Runner } from './runner'

export const PROBES = ['livez', 'readyz', 'startupz'] as const
export type ProbeName = typeof PROBES[number]

/** Which checks each probe reads. livez must only name checks of the watched process itself. */
export type ProbeWiring = Readonly<Record<ProbeName, readonly string[]>>

export interface Lifecycle {
  shuttingDown: boolean
  /** GET /prestop calls waiting for a safe stop: readiness fails meanwhile, so clients move away. */
  stopping: number
}

export interface ProbeLine {
  readonly name: string
  readonly ok: boolean
  readonly excluded: boolean
  readonly reason: Reason
  readonly message: string
}

export interface ProbeVerdict {
  readonly probe: ProbeName
  readonly ok: boolean
  readonly lines: readonly ProbeLine[]
  /** ?exclude names that match no check of this probe (kube-apiserver warns about these too). */
  readonly unknownExcludes: readonly string[]
}

const SHUTDOWN_LINE: ProbeLine = {
  name: 'shutdown',
  ok: false,
  excluded: false,
  reason: 'SHUTTING_DOWN',
  message: 'the agent received SIGTERM or SIGINT and is draining',
}

const PRESTOP_LINE: ProbeLine = {
  name: 'prestop',
  ok: false,
  excluded: false,
  reason: 'SHUTTING_DOWN',
  message: 'preStop: waiting until stopping this node takes no partition below min.insync.replicas and leaves a caught-up majority of controllers',
}

/**
 * Whether one check's view passes for `probe`. A stale cache means the agent is stuck, not the
 * broker: liveness must not restart the broker for our fault; /ping fails instead, so the kubelet
 * restarts the agent. startupz is not latched here: the kubelet latches it per container, and this
 * sidecar outlives broker restarts, after which startup must be judged afresh.
 */
function passing (probe: ProbeName, view: CheckView): boolean {
  return view.ok || (probe === 'livez' && view.reason === 'STALE')
}

/**
 * Turns cached check verdicts into probe answers. Pure reads of the runner's cache: nothing here
 * waits on Kafka or Connect, which is what keeps probe answers in the sub-millisecond range.
 */
export class Probes {
  constructor (
    private readonly runner: Runner,
    private readonly wiring: ProbeWiring,
    private readonly lifecycle: Lifecycle,
  ) {}

  checksOf (probe: ProbeName): readonly string[] {
    return this.wiring[probe]
  }

  /**
   * evaluate(probe).ok without building the verdict: the plain probe request, the one the kubelet
   * sends every few seconds, only needs the status. Same rules as evaluate, no allocation.
   */
  passes (probe: ProbeName): boolean {
    if (probe === 'readyz' && (this.lifecycle.shuttingDown || this.lifecycle.stopping > 0)) return false
    const now = this.runner.clock()
    for (const name of this.wiring[probe]) {
      const view = this.runner.view(name, now)
      if (view !== undefined && !passing(probe, view)) return false
    }
    return true
  }

  evaluate (probe: ProbeName, opts: { only?: string, exclude?: readonly string[] } = {}): ProbeVerdict {
    const exclude = opts.exclude ?? []
    const names = opts.only === undefined ? this.wiring[probe] : [opts.only]
    const lines: ProbeLine[] = []
    const now = this.runner.clock()
    for (const name of names) {
      const view = this.runner.view(name, now)
      if (view === undefined) continue
      const excluded = exclude.includes(name)
      const ok = passing(probe, view)
      lines.push({ name, ok, excluded, reason: ok ? 'OK' : view.reason, message: ok ? 'ok' : view.message })
    }
    // Draining applies to /readyz/<check> too: whichever form a pod spec uses must fail on SIGTERM.
    if (probe === 'readyz' && this.lifecycle.shuttingDown) lines.push(SHUTDOWN_LINE)
    if (probe === 'readyz' && this.lifecycle.stopping > 0) lines.push(PRESTOP_LINE)
    return {
      probe,
      ok: lines.every((l) => l.ok || l.excluded),
      lines,
      unknownExcludes: exclude.filter((e) => !names.includes(e)),
    }
  }
}
