import { ConnectError, type ConnectClient, type ConnectorStatus, type RestartOutcome, type SinkConfig, type TaskStatus, type WorkerHealth } from '../../src/connect/client'

type Mutable<T> = { -readonly [K in keyof T]: T[K] }
export type FakeConnector = Mutable<Omit<ConnectorStatus, 'tasks'>> & { tasks: Array<Mutable<TaskStatus>> }

/**
 * A ConnectClient whose connectors a test sets and whose restart answers it queues; for the unit
 * tests of our own logic only (test/helpers/connect-stand-in.ts plays a real worker over HTTP).
 */
export class FakeConnectClient implements ConnectClient {
  readonly connectors = new Map<string, FakeConnector>()
  /** Answers to the next restarts, in order; 'hang' waits for the abort. Empty: 'accepted'. */
  readonly restartAnswers: Array<RestartOutcome | ConnectError | 'hang'> = []
  /** Names restartConnector was called with, in order. */
  readonly restarts: string[] = []
  /** Milliseconds connectorStatuses takes. */
  statusDelayMs = 0

  constructor (readonly workerId = 'w1:8083') {}

  add (name: string, state = 'RUNNING', tasks: Array<[string, string?]> = [['RUNNING']], workerId = this.workerId): FakeConnector {
    const c: FakeConnector = { name, state, workerId, type: 'sink', tasks: tasks.map(([s, w], id) => ({ id, state: s, workerId: w ?? workerId })) }
    this.connectors.set(name, c)
    return c
  }

  get (name: string): FakeConnector {
    const c = this.connectors.get(name)
    if (c === undefined) throw new Error(`no connector ${name}`)
    return c
  }

  /** Sets every task (and, with `connector`, the connector) of `name` to `state`. */
  set (name: string, state: string, connector = false): void {
    const c = this.get(name)
    if (connector) c.state = state
    for (const t of c.tasks) t.state = state
  }

  health = async (): Promise<WorkerHealth> => await Promise.resolve({ status: 'healthy', message: '', legacy: false })
  root = async (): Promise<void> => { await Promise.resolve() }

  connectorStatuses = async (signal: AbortSignal): Promise<ConnectorStatus[]> => {
    if (this.statusDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.statusDelayMs))
    if (signal.aborted) throw new ConnectError('aborted', 'deadline passed')
    return [...this.connectors.values()].map((c) => ({ ...c, tasks: c.tasks.map((t) => ({ ...t })) }))
  }

  connectorTasksMax = async (): Promise<Map<string, number>> => await Promise.resolve(new Map())

  /** Sink configs by connector name; sinkConfigs answers these (or throws this error). */
  readonly sinks = new Map<string, SinkConfig>()
  sinkError: ConnectError | undefined
  sinkConfigs = async (): Promise<Map<string, SinkConfig>> => {
    if (this.sinkError !== undefined) throw this.sinkError
    return await Promise.resolve(new Map(this.sinks))
  }

  restartConnector = async (name: string, signal: AbortSignal): Promise<RestartOutcome> => {
    this.restarts.push(name)
    const answer = this.restartAnswers.shift() ?? 'accepted'
    if (answer === 'hang') {
      return await new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => { reject(new ConnectError('aborted', 'deadline passed')) }, { once: true })
      })
    }
    if (answer instanceof ConnectError) throw answer
    return answer
  }

  close = async (): Promise<void> => { await Promise.resolve() }
}
