import { formatDuration } from '../config/duration'
import { fail, pass, type Check, type CheckResult } from '../core/check'
import { ABORTED, orAborted, within } from '../core/within'
import { ConnectError, type ConnectClient, type WorkerHealth } from './client'
import { REASON_BY_KIND } from './reasons'

export const CHECK_CONNECT_WORKER = 'connect-worker'
export const CHECK_CONNECT_READY = 'connect-ready'

/**
 * Kafka Connect answers /health within 10 s: when its herder has not taken the request by then,
 * with a 500 that names the stage its tick thread is in (KIP-1017). We wait a little longer than
 * that, past the run's deadline, so that the stage is known.
 */
export const HEALTH_WAIT_MS = 15_000

/**
 * Of the run's deadline, what waiting for /health may take. Liveness keeps half for GET /;
 * readiness waits nearly all of it, so a slow but healthy /health is not a TIMEOUT on every pod.
 */
const LIVE_SHARE = 0.5
const READY_SHARE = 0.9

/**
 * Herder stages (DistributedHerder's TickThreadStage descriptions) that wait on the Kafka
 * cluster, not on this worker: while Kafka is down every worker sits in "ensuring membership in
 * the cluster" and answers /health 500, and a restart fixes nothing; restarting every Connect pod
 * through an outage only delays their return (CrashLoopBackOff). Anchored on Connect's own words
 * around the stage ("The worker is currently <stage>, which began at"): a completed stage ("The
 * last operation the worker completed was …") or a connector's name inside another stage must not
 * match. A stage not listed here (a connector's own start or stop) is the worker's own.
 */
const WAITING_ON_KAFKA = /The worker is currently (?:ensuring membership in the cluster|polling the group coordinator [^,]{0,100}|initializing and reading to the end of internal topics|reading to the end of the config topic|reclaiming write privileges for the config topic|writing [^\n]{0,400}? to the config topic|removing [^\n]{0,400}? from the config topic|flushing updates to the status topic|resetting the list of active topics for [^\n]{0,100}?|sleeping for a backoff duration of \d+ms|initiating a round of zombie fencing for connector [^\n]{0,300}?), which began at /
/** Enough for any stage Connect names; a longer message is cut before it is matched or shown. */
const MESSAGE_LIMIT = 1024

export function waitsOnKafka (h: WorkerHealth): boolean {
  return h.status === 'unhealthy' && WAITING_ON_KAFKA.test(h.message.slice(0, MESSAGE_LIMIT))
}

/** One /health answer, or its failure, and when it came (monotonic milliseconds). */
type Settled = ({ readonly health: WorkerHealth } | { readonly error: unknown }) & { readonly at: number }

interface HealthCalls {
  /** This run's /health, shared by the run's checks (one call per run), waited for up to `share` of the deadline. */
  ask: (signal: AbortSignal, share: number) => Promise<Settled | undefined>
  /** Starts the long /health that learns what a busy herder is stuck in, unless one is out. */
  probe: () => void
  /** The latest answer of either kind, and the long /health's latest outcome. */
  last: () => Settled | undefined
  lastProbe: () => Settled | undefined
}

/**
 * Two kinds of /health call. Each run asks afresh, bounded by the run, so readiness follows the
 * worker within a run once it answers again. When that call finds the herder busy, one long call
 * (up to `waitMs`, past any run, never more than one at a time) waits for Connect's own 10 s
 * answer, which names the stage the herder is stuck in.
 */
function healthCalls (client: ConnectClient, timeoutMs: number, waitMs: number, now: () => number, onSettle: (s: Settled) => void): HealthCalls {
  let run: Promise<Settled> | undefined
  let long: Promise<Settled> | undefined
  let last: Settled | undefined
  let lastProbe: Settled | undefined
  async function call (signal: AbortSignal, wait?: number): Promise<Settled> {
    const s: Settled = await client.health(signal, wait).then((health) => ({ health, at: now() }), (error: unknown) => ({ error, at: now() }))
    // A run's own call cut short by its deadline says nothing; anything else is news.
    if (!('error' in s && signal.aborted)) {
      last = s
      onSettle(s)
    }
    return s
  }
  return {
    ask: async (signal, share) => {
      run ??= within(signal, timeoutMs * READY_SHARE, async (bound) => await call(bound)).finally(() => { run = undefined })
      return await within(signal, timeoutMs * share, async (bound) => {
        const answer = await orAborted(bound, run as Promise<Settled>)
        const s = answer === ABORTED ? undefined : answer
        // The worker answers again: a long call's old silence no longer speaks for it.
        if (s !== undefined && 'health' in s) lastProbe = undefined
        // Cut short by our own deadline: no answer within the share.
        return s !== undefined && 'error' in s && s.error instanceof ConnectError && s.error.kind === 'aborted' ? undefined : s
      })
    },
    probe: () => {
      if (long !== undefined) return
      const bound = new AbortController()
      const timer = setTimeout(() => { bound.abort() }, waitMs)
      timer.unref()
      long = call(bound.signal, waitMs).then((s) => {
        lastProbe = s
        return s
      }).finally(() => {
        clearTimeout(timer)
        long = undefined
      })
    },
    last: () => last,
    lastProbe: () => lastProbe,
  }
}

function failed (err: unknown): CheckResult {
  if (err instanceof ConnectError) return fail(REASON_BY_KIND[err.kind], err.message)
  // Not a failure the client classified: ours, not the worker's.
  return fail('CONNECT_CLIENT_ERROR', err instanceof Error ? err.message : String(err))
}

/**
 * 401/403, a redirect or a refused TLS handshake come from a REST server that is up: what is wrong
 * is our credentials or URL, and restarting the worker would not fix them. A request our own
 * client could not even make says nothing about the worker at all.
 */
function liveDespite (r: CheckResult): CheckResult {
  if (r.reason === 'AUTH' || r.reason === 'CONNECT_REDIRECT' || r.reason === 'CONNECT_TLS' || r.reason === 'CONNECT_CLIENT_ERROR') {
    return pass(`worker answers, but ${r.reason}: ${r.message} (readiness reports it)`)
  }
  return r
}

const describe = (h: WorkerHealth): string => `worker is ${h.status}${h.message === '' ? '' : `: ${h.message.slice(0, MESSAGE_LIMIT)}`}`

export interface WorkerChecksDeps {
  readonly client: ConnectClient
  readonly timeoutMs: number
  /** Monotonic milliseconds. */
  readonly now: () => number
  /** How long liveness holds while the herder waits on Kafka (--connect-kafka-wait); 0: for ever. */
  readonly kafkaWaitMs: number
  readonly sink?: { workerUp: (up: boolean) => void }
  /** How long one /health may take (HEALTH_WAIT_MS); tests shorten it. */
  readonly healthWaitMs?: number
}

/**
 * connect-worker (liveness): is this worker's own process wedged? /health goes through the
 * herder, so a "zombie" whose status endpoint still says RUNNING fails here. A herder that waits
 * on Kafka does not: that is the cluster, and readiness reports it. While /health has not
 * answered, GET / (Jetty, without the herder) says whether the worker lives at all.
 *
 * connect-ready (readiness, startup): /health healthy, within the run.
 */
export function connectWorkerChecks ({ client, timeoutMs, now, kafkaWaitMs, sink, healthWaitMs = HEALTH_WAIT_MS }: WorkerChecksDeps): Check[] {
  const waitMs = Math.max(healthWaitMs, timeoutMs)
  /** Since when every answer has said the herder waits on Kafka; undefined while not. */
  let waitingSince: number | undefined
  /** --connect-kafka-wait failed liveness once; after the restart that followed, hold until healthy. */
  let overdue = false
  let spent = false
  const calls = healthCalls(client, timeoutMs, waitMs, now, (s) => {
    // Kept as answers arrive, not as runs read them, so neither the start nor the end of a wait
    // is late or lost.
    if ('health' in s) {
      if (waitsOnKafka(s.health)) {
        waitingSince ??= s.at
        return
      }
      waitingSince = undefined
      if (s.health.status === 'healthy') spent = overdue = false
    } else if (s.error instanceof ConnectError && s.error.kind === 'unreachable') {
      // The worker is gone: restarted (by us or not). A restart did not end the wait on Kafka, so
      // another would not either: never a loop through one outage.
      waitingSince = undefined
      if (overdue) spent = true
    }
  })
  async function ask (signal: AbortSignal, share: number): Promise<Settled | undefined> {
    const s = await calls.ask(signal, share)
    // "Live" as liveness means it: a worker waiting on Kafka is up (the Kafka alerts speak for it).
    if (s !== undefined) sink?.workerUp('health' in s && (s.health.status !== 'unhealthy' || waitsOnKafka(s.health)))
    return s
  }

  function live (s: Settled): CheckResult {
    if ('error' in s) return liveDespite(failed(s.error))
    const h = s.health
    if (waitsOnKafka(h)) {
      // Measured up to this answer, not to now: an old answer judged later must not grow older.
      const waited = waitingSince === undefined ? 0 : s.at - waitingSince
      if (kafkaWaitMs > 0 && !spent && waited > kafkaWaitMs) {
        overdue = true
        return fail('CONNECT_WORKER_UNHEALTHY', `worker has waited on Kafka for ${formatDuration(waited)}, longer than --connect-kafka-wait (${formatDuration(kafkaWaitMs)}): ${h.message.slice(0, MESSAGE_LIMIT)}`)
      }
      return pass(`worker waits on Kafka, which a restart would not fix (readiness reports it): ${h.message.slice(0, MESSAGE_LIMIT)}`, { status: h.status, legacy: h.legacy })
    }
    return h.status === 'unhealthy' ? fail('CONNECT_WORKER_UNHEALTHY', describe(h)) : pass(describe(h), { status: h.status, legacy: h.legacy })
  }

  /** /health gave no answer within the share: the worker lives if GET / answers, unless what the herder is stuck in says otherwise. */
  async function busy (signal: AbortSignal): Promise<CheckResult> {
    calls.probe()
    try {
      await client.root(signal)
    } catch (err) {
      sink?.workerUp(false)
      return liveDespite(failed(err))
    }
    const probed = calls.lastProbe()
    if (probed !== undefined && 'error' in probed && probed.error instanceof ConnectError && probed.error.kind === 'aborted') {
      // A real worker answers within its own 10 s; no answer in our longer wait is a wedged REST layer.
      return fail('CONNECT_WORKER_UNHEALTHY', `/health gave no answer within ${formatDuration(waitMs)}, though GET / answers`)
    }
    const last = calls.last()
    if (last !== undefined && 'health' in last) {
      // What the herder was last seen stuck in speaks for it, either way.
      const verdict = live(last)
      if (!verdict.ok || waitsOnKafka(last.health)) return verdict
    }
    return pass(`worker answers GET /; its herder is busy: /health has not answered within ${formatDuration(timeoutMs * LIVE_SHARE)} (readiness reports it)`)
  }

  return [
    {
      name: CHECK_CONNECT_WORKER,
      run: async (signal) => {
        const s = await ask(signal, LIVE_SHARE)
        return s === undefined ? await busy(signal) : live(s)
      },
    },
    {
      name: CHECK_CONNECT_READY,
      run: async (signal) => {
        const s = await ask(signal, READY_SHARE)
        if (s === undefined) return fail('TIMEOUT', `/health gave no answer within ${formatDuration(timeoutMs * READY_SHARE)}`)
        if ('error' in s) return failed(s.error)
        const h = s.health
        if (h.status === 'starting') return fail('CONNECT_WORKER_STARTING', describe(h))
        return h.status === 'unhealthy' ? fail('CONNECT_WORKER_UNHEALTHY', describe(h)) : pass(describe(h), { status: h.status, legacy: h.legacy })
      },
    },
  ]
}
