import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { createServer as createTlsServer, type Server as HttpsServer } from 'node:https'
import type { Socket } from 'node:net'

/**
 * A Kafka Connect REST stand-in: a real HTTP server that serves the worker's JSON shapes
 * (ConnectorStateInfo, ServerInfo, ErrorMessage, KIP-1017 /health) as Kafka 3.9 does, lets a
 * test change connector and task states, and injects the faults a real worker or the network
 * between produce. Used by the integration tests and the demo.
 */
export interface StandInTask { id: number, state: string, worker_id: string, trace?: string }
export interface StandInConnector {
  state: string
  worker_id: string
  type: 'source' | 'sink'
  trace?: string
  tasks: StandInTask[]
  tasksMax: number
  /** More config keys ?expand=info shows (topics, consumer.override.group.id). */
  config?: Record<string, string>
}

export type Fault =
  | 'none' | 'hang' | 'http-500' | 'auth-401' | 'auth-403' | 'redirect' | 'garbage' | 'wrong-shape' | 'huge'
/** 'stuck': as a worker whose herder is busy: 500 after `healthDelayMs`, naming `healthStage`. */
export type HealthMode = 'healthy' | 'starting' | 'unhealthy' | 'missing' | 'hang' | 'teapot' | 'stuck'
/** How POST /connectors/<name>/restart answers: as Kafka >= 3.0 does, as an older worker does (204, query ignored), or a fault. */
export type RestartMode = 'kip-745' | 'legacy' | 'rebalancing' | 'http-500' | 'auth-403' | 'hang'

export class ConnectStandIn {
  readonly connectors = new Map<string, StandInConnector>()
  /** Applies to GET /connectors (list and per-connector status). */
  fault: Fault = 'none'
  health: HealthMode = 'healthy'
  /** What a 'stuck' worker's herder is doing, as DistributedHerder describes its stage. */
  healthStage = 'ensuring membership in the cluster'
  healthDelayMs = 0
  /** Answer ?expand as a worker older than Kafka 2.3 would: ignore it, list names only. */
  ignoreExpand = false
  /** Per-connector status and info calls answer 500 (a herder timeout). */
  perConnectorFault = false
  /** Per-connector calls for these names never answer. */
  readonly hangNames = new Set<string>()
  /** ?expand=info never answers: it goes through a stuck herder, while statuses still come. */
  infoHangs = false
  /** Names the list shows but whose status is 404: deleted between list and status. */
  readonly deletedWhileListing = new Set<string>()
  /** Basic-auth credentials to demand; undefined accepts anyone. */
  credentials: { username: string, password: string } | undefined
  restartMode: RestartMode = 'kip-745'
  /** The state restarted instances take: RUNNING at once, or RESTARTING until a test moves them on. */
  restartTo: 'RUNNING' | 'RESTARTING' = 'RUNNING'
  /** Every POST /connectors/<name>/restart: the name decoded once, and the raw query. */
  readonly restarts: Array<{ name: string, query: string }> = []
  /** Called before each GET /connectors answer: benchmarks change a state per run with it. */
  beforeList: (() => void) | undefined
  /** Every request: its raw path (as sent, still percent-encoded) and headers. */
  readonly requests: Array<{ method: string, path: string, headers: IncomingMessage['headers'] }> = []
  private readonly server: Server
  private readonly sockets = new Set<Socket>()
  private port = 0

  /** With `tls`, serves https; with `tls.ca`, it also demands a client certificate signed by it (mutual TLS). */
  constructor (readonly workerId = '10.0.0.1:8083', private readonly tls?: { cert: string, key: string, ca?: string }) {
    const handler = (req: IncomingMessage, res: ServerResponse): void => { this.handle(req, res) }
    this.server = tls === undefined
      ? createServer(handler)
      : createTlsServer({ cert: tls.cert, key: tls.key, ...(tls.ca !== undefined && { ca: tls.ca, requestCert: true, rejectUnauthorized: true }) }, handler)
    this.server.on('connection', (s) => { this.sockets.add(s); s.once('close', () => this.sockets.delete(s)) })
  }

  get url (): string { return `${this.tls === undefined ? 'http' : 'https'}://127.0.0.1:${this.port}` }

  async start (): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.server.address() as { port: number }).port
    return this
  }

  /** Stops listening and drops every connection: the agent then sees "connection refused". */
  async stop (): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise((resolve) => this.server.close(resolve))
  }

  /** Serves a new certificate from now on, as a worker whose certificate was re-issued. */
  rotateTls (tls: { cert: string, key: string }): void {
    if (!('setSecureContext' in this.server)) throw new Error('the stand-in serves plain http')
    ;(this.server as HttpsServer).setSecureContext({ cert: tls.cert, key: tls.key })
    // Connections made under the old certificate go, as they do when a worker restarts with a new one.
    for (const s of this.sockets) s.destroy()
  }

  /** Comes back on the same port, as a restarted worker would. */
  async restart (): Promise<void> { await this.start() }

  count (path: string): number {
    return this.requests.filter((r) => r.path === path).length
  }

  /** Connector names the status endpoint was asked about, decoded once as the worker does. */
  statusNames (): string[] {
    return this.requests.map((r) => /^\/connectors\/([^/]+)\/status$/.exec(r.path)?.[1]).filter((n) => n !== undefined).map(decodeURIComponent)
  }

  add (name: string, opts: { tasks?: number, state?: string, worker?: string, taskWorkers?: string[], tasksMax?: number } = {}): void {
    const worker = opts.worker ?? this.workerId
    const n = opts.tasks ?? 1
    this.connectors.set(name, {
      state: opts.state ?? 'RUNNING',
      worker_id: worker,
      type: 'sink',
      tasksMax: opts.tasksMax ?? n,
      tasks: Array.from({ length: n }, (_, id) => ({ id, state: opts.state ?? 'RUNNING', worker_id: opts.taskWorkers?.[id] ?? worker })),
    })
  }

  setState (name: string, state: string, trace?: string): void {
    const c = this.get(name)
    c.state = state
    if (trace !== undefined) c.trace = trace
    else delete c.trace
  }

  setTask (name: string, id: number, state: string, trace?: string): void {
    const t = this.get(name).tasks[id]
    if (t === undefined) throw new Error(`no task ${id} on ${name}`)
    t.state = state
    if (trace !== undefined) t.trace = trace
    else delete t.trace
  }

  private get (name: string): StandInConnector {
    const c = this.connectors.get(name)
    if (c === undefined) throw new Error(`no connector ${name}`)
    return c
  }

  private status (name: string, c: StandInConnector): Record<string, unknown> {
    return {
      name,
      connector: { state: c.state, worker_id: c.worker_id, ...(c.trace !== undefined && { trace: c.trace }) },
      tasks: c.tasks.map((t) => ({ id: t.id, state: t.state, worker_id: t.worker_id, ...(t.trace !== undefined && { trace: t.trace }) })),
      type: c.type,
    }
  }

  private info (name: string, c: StandInConnector): Record<string, unknown> {
    return {
      name,
      config: { 'connector.class': 'org.example.SinkConnector', 'tasks.max': String(c.tasksMax), name, ...c.config },
      tasks: c.tasks.map((t) => ({ connector: name, task: t.id })),
      type: c.type,
    }
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    // Raw path, no URL normalisation: a worker must see exactly what the agent sent.
    const [path = '/', query = ''] = (req.url ?? '/').split('?', 2)
    const url = { searchParams: new URLSearchParams(query) }
    this.requests.push({ method: req.method ?? 'GET', path, headers: req.headers })
    const send = (code: number, body: unknown): void => {
      res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    }
    const error = (code: number, message: string): void => { send(code, { error_code: code, message }) }

    if (this.credentials !== undefined) {
      const expected = `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`
      if (req.headers.authorization !== expected) { error(401, 'Unauthorized'); return }
    }

    if (path === '/') { send(200, { version: '3.9.0', commit: 'abc123', kafka_cluster_id: 'stand-in-cluster' }); return }
    if (path === '/health') {
      if (this.health === 'hang') return
      if (this.health === 'stuck') {
        const message = `Worker was unable to handle this request and may be unable to handle other requests. The worker is currently ${this.healthStage}, which began at 2026-11-24T20:12:12.511Z.`
        setTimeout(() => { if (!res.writableEnded && !res.destroyed) send(500, { status: 'unhealthy', message }) }, this.healthDelayMs).unref()
        return
      }
      if (this.health === 'missing') { error(404, 'HTTP 404 Not Found'); return }
      if (this.health === 'teapot') { error(418, 'I am a teapot'); return }
      if (this.health === 'starting') { send(503, { status: 'starting', message: 'Worker is still starting up.' }); return }
      if (this.health === 'unhealthy') { send(500, { status: 'unhealthy', message: 'Worker was unable to handle this request and may be unable to handle other requests.' }); return }
      send(200, { status: 'healthy', message: 'Worker has completed startup and is ready to handle requests.' })
      return
    }

    const parts = path.split('/').slice(1).map(decodeURIComponent)
    if (parts[0] !== 'connectors') { error(404, 'HTTP 404 Not Found'); return }
    if (req.method === 'POST') {
      if (parts.length === 3 && parts[2] === 'restart') this.restartConnector(parts[1] ?? '', query, res)
      else error(404, 'HTTP 404 Not Found')
      return
    }
    if (req.method === 'PUT') { this.control(parts, res); return }

    switch (this.fault) {
      case 'hang': return
      case 'http-500': error(500, 'Request timed out'); return
      case 'auth-401': error(401, 'Unauthorized'); return
      case 'auth-403': error(403, 'Forbidden'); return
      case 'redirect': res.writeHead(307, { location: 'http://elsewhere.invalid/connectors' }).end(); return
      case 'garbage': res.writeHead(200, { 'content-type': 'text/html' }).end('<html>502 Bad Gateway</html>'); return
      case 'wrong-shape': send(200, { a: { status: { name: 'a', connector: { state: 7 }, tasks: 'none' } } }); return
      case 'huge': {
        res.writeHead(200, { 'content-type': 'application/json' })
        const chunk = Buffer.alloc(64 * 1024, 0x20)
        let sent = 0
        const pump = (): void => {
          while (sent < 64 * 1024 * 1024) {
            sent += chunk.length
            if (!res.write(chunk)) { res.once('drain', pump); return }
          }
          res.end('{}')
        }
        res.on('error', () => {})
        pump()
        return
      }
      case 'none': break
    }

    if (parts.length === 1) {
      this.beforeList?.()
      const expand = url.searchParams.getAll('expand')
      if (expand.includes('info') && this.infoHangs) return
      const names = [...this.connectors.keys(), ...this.deletedWhileListing]
      if (expand.length === 0 || this.ignoreExpand) { send(200, names); return }
      const out: Record<string, unknown> = {}
      for (const [name, c] of this.connectors) {
        out[name] = { ...(expand.includes('status') && { status: this.status(name, c) }), ...(expand.includes('info') && { info: this.info(name, c) }) }
      }
      send(200, out)
      return
    }
    const name = parts[1] ?? ''
    if (this.perConnectorFault) { error(500, 'Request timed out'); return }
    if (this.hangNames.has(name)) return
    const c = this.connectors.get(name)
    if (c === undefined) { error(404, `No status found for connector ${name}`); return }
    if (parts.length === 3 && parts[2] === 'status') { send(200, this.status(name, c)); return }
    if (parts.length === 2) { send(200, this.info(name, c)); return }
    error(404, 'HTTP 404 Not Found')
  }

  /**
   * POST /connectors/<name>/restart as KIP-745 (Kafka 3.0) defines it: without includeTasks and
   * onlyFailed, the connector instance only and 204; otherwise 202 with the status, restarted
   * instances marked RESTARTING. Those instances then take `restartTo`.
   */
  private restartConnector (name: string, query: string, res: ServerResponse): void {
    this.restarts.push({ name, query })
    const send = (code: number, body: unknown): void => { res.writeHead(code, { 'content-type': 'application/json' }).end(JSON.stringify(body)) }
    switch (this.restartMode) {
      case 'hang': return
      case 'rebalancing': send(409, { error_code: 409, message: 'Cannot complete request because of a conflicting operation (e.g. worker rebalance)' }); return
      case 'http-500': send(500, { error_code: 500, message: 'Request timed out' }); return
      case 'auth-403': send(403, { error_code: 403, message: 'Forbidden' }); return
      case 'legacy': case 'kip-745': break
    }
    const c = this.connectors.get(name)
    if (c === undefined) { send(404, { error_code: 404, message: `Unknown connector: ${name}` }); return }
    const params = new URLSearchParams(query)
    const legacy = this.restartMode === 'legacy' || (params.get('includeTasks') !== 'true' && params.get('onlyFailed') !== 'true')
    const onlyFailed = !legacy && params.get('onlyFailed') === 'true'
    const includeTasks = !legacy && params.get('includeTasks') === 'true'
    const restartConnector = !onlyFailed || c.state === 'FAILED'
    const tasks = includeTasks ? c.tasks.filter((t) => !onlyFailed || t.state === 'FAILED') : []
    const marked = { ...this.status(name, c) }
    if (!legacy) {
      marked.connector = { state: restartConnector ? 'RESTARTING' : c.state, worker_id: c.worker_id }
      marked.tasks = c.tasks.map((t) => ({ id: t.id, state: tasks.includes(t) ? 'RESTARTING' : t.state, worker_id: t.worker_id }))
    }
    if (restartConnector) { c.state = this.restartTo; delete c.trace }
    for (const t of tasks) { t.state = this.restartTo; delete t.trace }
    if (legacy) { res.writeHead(204).end(); return }
    send(202, marked)
  }

  /** PUT pause/resume/stop, as the demo and a person with curl use them. */
  private control (parts: string[], res: ServerResponse): void {
    const [, name = '', action = ''] = parts
    const c = this.connectors.get(name)
    if (c === undefined) { res.writeHead(404).end(); return }
    const to = ({ pause: 'PAUSED', resume: 'RUNNING', stop: 'STOPPED' } as Record<string, string>)[action]
    if (to === undefined) { res.writeHead(404).end(); return }
    c.state = to
    delete c.trace
    // A stopped connector has no tasks (KIP-875); resuming creates them again.
    if (to === 'STOPPED') c.tasks = []
    else if (c.tasks.length === 0) c.tasks = Array.from({ length: c.tasksMax }, (_, id) => ({ id, state: to, worker_id: c.worker_id }))
    for (const t of c.tasks) { t.state = to; delete t.trace }
    res.writeHead(202).end()
  }
}
