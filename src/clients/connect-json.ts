import { ConnectError, shortName, type ConnectorStatus, type TaskStatus } from './connect-client'

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

function task (v: unknown, where: string): TaskStatus {
  if (!isObject(v)) throw bad(`${where} is not an object`)
  if (typeof v.id !== 'number') throw bad(`${where}.id is not a number`)
  const trace = typeof v.trace === 'string' ? { trace: v.trace } : {}
  return { id: v.id, state: str(v, 'state', where), workerId: str(v, 'worker_id', where), ...trace }
}

/** One `<status>` object: {name, connector: {state, worker_id, trace?}, tasks: [...], type}. */
export function connectorStatus (v: unknown, where: string): ConnectorStatus {
  if (!isObject(v)) throw bad(`${where} is not an object`)
  const connector = v.connector
  if (!isObject(connector)) throw bad(`${where}.connector is not an object`)
  if (!Array.isArray(v.tasks)) throw bad(`${where}.tasks is not an array`)
  const tasks = v.tasks.map((t, i) => task(t, `${where}.tasks[${i}]`))
  return {
    name: str(v, 'name', where),
    state: str(connector, 'state', `${where}.connector`),
    workerId: str(connector, 'worker_id', `${where}.connector`),
    ...(typeof connector.trace === 'string' && { trace: connector.trace }),
    type: typeof v.type === 'string' ? v.type : 'unknown',
    tasks,
  }
}

/** config["tasks.max"] from an `info` object; undefined when absent or not a number. */
export function tasksMaxOf (info: unknown): number | undefined {
  if (!isObject(info) || !isObject(info.config)) return undefined
  const n = Number(info.config['tasks.max'])
  return Number.isInteger(n) && n > 0 ? n : undefined
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
