import { ConnectError, shortName, type ConnectorStatus, type SinkConfig, type TaskStatus } from './client'

/**
 * Shape checks for the Connect worker's JSON (ConnectorStateInfo, ServerInfo, ErrorMessage).
 * Unknown fields are ignored, as newer workers add some (e.g. `version`); a missing or
 * mistyped field we rely on is a CONNECT_BAD_RESPONSE, never a crash further down.
 */
type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

function bad (what: string): ConnectError {
  return new ConnectError('bad-response', `unexpected JSON from the worker: ${what}`)
}

export function parseJson (text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    throw new ConnectError('bad-response', `${what} is not JSON (starts with ${JSON.stringify(text.slice(0, 40))})`)
  }
}

function str (o: Json, key: string, where: string): string {
  const v = o[key]
  if (typeof v !== 'string') throw bad(`${where}.${key} is not a string`)
  return v
}

/**
 * One task; `where` is built only when the task is bad: a run reads thousands of tasks, and
 * their names in error messages were a fifth of the shape checks' cost.
 */
function task (v: unknown, parent: string, i: number): TaskStatus {
  if (!isObject(v)) throw bad(`${parent}.tasks[${i}] is not an object`)
  const id = v.id
  const state = v.state
  const workerId = v.worker_id
  const trace = v.trace
  if (typeof id !== 'number') throw bad(`${parent}.tasks[${i}].id is not a number`)
  if (typeof state !== 'string') throw bad(`${parent}.tasks[${i}].state is not a string`)
  if (typeof workerId !== 'string') throw bad(`${parent}.tasks[${i}].worker_id is not a string`)
  // Two literal shapes, not a spread: thousands of these per run, and V8 builds literals fastest.
  return typeof trace === 'string' ? { id, state, workerId, trace } : { id, state, workerId }
}

/** One `<status>` object: {name, connector: {state, worker_id, trace?}, tasks: [...], type}. */
export function connectorStatus (v: unknown, where: string): ConnectorStatus {
  if (!isObject(v)) throw bad(`${where} is not an object`)
  const connector = v.connector
  if (!isObject(connector)) throw bad(`${where}.connector is not an object`)
  const raw = v.tasks
  if (!Array.isArray(raw)) throw bad(`${where}.tasks is not an array`)
  const tasks = new Array<TaskStatus>(raw.length)
  for (let i = 0; i < raw.length; i++) tasks[i] = task(raw[i], where, i)
  const name = str(v, 'name', where)
  const state = str(connector, 'state', `${where}.connector`)
  const workerId = str(connector, 'worker_id', `${where}.connector`)
  const type = typeof v.type === 'string' ? v.type : 'unknown'
  return typeof connector.trace === 'string'
    ? { name, state, workerId, trace: connector.trace, type, tasks }
    : { name, state, workerId, type, tasks }
}

/** config["tasks.max"] from an `info` object; undefined when absent or not a number. */
export function tasksMaxOf (info: unknown): number | undefined {
  if (!isObject(info) || !isObject(info.config)) return undefined
  const n = Number(info.config['tasks.max'])
  return Number.isInteger(n) && n > 0 ? n : undefined
}

/** A sink connector's group and topics from an `info` object; undefined for anything but a sink. */
export function sinkConfigOf (info: unknown, name: string): SinkConfig | undefined {
  if (!isObject(info) || info.type !== 'sink' || !isObject(info.config)) return undefined
  const override = info.config['consumer.override.group.id']
  const topics = info.config.topics
  const regex = info.config['topics.regex']
  const cls = info.config['connector.class']
  return {
    group: typeof override === 'string' && override !== '' ? override : `connect-${name}`,
    topics: typeof topics === 'string' ? topics.split(',').map((t) => t.trim()).filter((t) => t !== '') : [],
    ...(typeof regex === 'string' && regex !== '' && { topicsRegex: regex }),
    ...(typeof cls === 'string' && cls !== '' && { connectorClass: cls }),
  }
}

export type ConnectorList<T> =
  | { readonly expanded: true, readonly entries: Array<[string, T]> }
  /** The worker ignored ?expand (before Kafka 2.3): only names. */
  | { readonly expanded: false, readonly names: string[] }

/**
 * GET /connectors?expand=<key>: a map of {<key>: …} per connector, or a plain array of names.
 * A connector deleted between listing and expanding comes without the key: it is left out.
 */
export function connectorList<T> (v: unknown, key: 'status' | 'info', read: (value: unknown, where: string) => T): ConnectorList<T> {
  if (Array.isArray(v)) {
    if (!v.every((n) => typeof n === 'string')) throw bad('the connector list holds a non-string')
    return { expanded: false, names: v }
  }
  if (!isObject(v)) throw bad('the connector list is neither an object nor an array')
  const entries: Array<[string, T]> = []
  for (const [name, entry] of Object.entries(v)) {
    const where = `connectors["${shortName(name)}"]`
    if (!isObject(entry)) throw bad(`${where} is not an object`)
    if (entry[key] === undefined) continue
    entries.push([name, read(entry[key], `${where}.${key}`)])
  }
  return { expanded: true, entries }
}

/** /health's {"status", "message"}; missing fields read as empty, the HTTP status decides. */
export function healthBody (v: unknown): { status: string, message: string } {
  if (!isObject(v)) return { status: '', message: '' }
  return { status: typeof v.status === 'string' ? v.status : '', message: typeof v.message === 'string' ? v.message : '' }
}
