import { connect } from 'node:net'
import type { ConnectorStatus } from './client'

/**
 * A worker that died without leaving the group cleanly (OOM-killed, its node lost) keeps its
 * connectors and tasks RUNNING in the status topic: nothing writes them UNASSIGNED, and Kafka
 * moves the work only after scheduled.rebalance.max.delay.ms (5 minutes by default). Every
 * status endpoint says RUNNING meanwhile, though the work runs nowhere (seen against real
 * Connect 4.3). An agent that counts every worker's connectors (no --connect-worker-id) would
 * stay Ready through it.
 *
 * Workers reach each other on the REST address in worker_id (requests are forwarded there), so
 * one TCP connect per worker tells a worker that is gone (refused, or its name no longer
 * resolves) from one that is there. A connect that times out proves nothing either way (a
 * partition, a frozen host): it counts as there, so a slow network never fails readiness.
 */
export type Dial = (host: string, port: number, signal: AbortSignal) => Promise<'there' | 'gone' | 'unknown'>

/** Answers that can only mean nothing listens at that address, or the address is no more. */
const GONE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH'])

/** At most this many workers are dialled per run: the cost stays bounded on any cluster. */
export const MAX_DIALLED = 64

export const tcpDial: Dial = async (host, port, signal) => await new Promise((resolve) => {
  if (signal.aborted) { resolve('unknown'); return }
  const socket = connect({ host, port })
  const done = (outcome: 'there' | 'gone' | 'unknown'): void => {
    signal.removeEventListener('abort', onAbort)
    socket.destroy()
    resolve(outcome)
  }
  const onAbort = (): void => { done('unknown') }
  signal.addEventListener('abort', onAbort, { once: true })
  socket.once('connect', () => { done('there') })
  socket.once('error', (err: NodeJS.ErrnoException) => { done(GONE.has(err.code ?? '') ? 'gone' : 'unknown') })
})

/** host and port of a worker_id ("10.0.0.5:8083", "[fd00::5]:8083", "connect-1.connect:8083"). */
export function parseWorkerId (workerId: string): { host: string, port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(workerId) ?? /^([^:]+):(\d+)$/.exec(workerId)
  const port = Number(m?.[2])
  if (m?.[1] === undefined || !Number.isInteger(port) || port < 1 || port > 65535) return undefined
  return { host: m[1], port }
}

/**
 * The workers that something RUNNING of a selected connector is reported on and that are gone,
 * dialled in parallel within `signal`. Workers named by nothing RUNNING are not dialled: only a
 * RUNNING state can lie.
 */
export async function departedWorkers (statuses: readonly ConnectorStatus[], dial: Dial, signal: AbortSignal, selected: (name: string) => boolean = () => true): Promise<ReadonlySet<string>> {
  const workers = new Set<string>()
  for (const s of statuses) {
    if (!selected(s.name)) continue
    if (s.state === 'RUNNING') workers.add(s.workerId)
    for (const t of s.tasks) if (t.state === 'RUNNING') workers.add(t.workerId)
    if (workers.size >= MAX_DIALLED) break
  }
  const gone = new Set<string>()
  await Promise.all([...workers].slice(0, MAX_DIALLED).map(async (w) => {
    const addr = parseWorkerId(w)
    if (addr !== undefined && await dial(addr.host, addr.port, signal) === 'gone') gone.add(w)
  }))
  return gone
}
