import { request, WebSocket } from 'undici'

/**
 * The heap of a Node process started with `--inspect=127.0.0.1:<port>`, read from outside over
 * the DevTools protocol: a full garbage collection, then the heap in use. Nothing in the agent
 * has to expose it, and what remains after a full collection is what a leak grows (RSS and a
 * sampled heap size move by tens of MiB with garbage waiting to be collected).
 */
export interface HeapProbe {
  /** Heap in use (bytes) right after a forced full collection. */
  heapAfterGc: () => Promise<number>
  close: () => void
}

export async function inspectHeap (port: number, limitMs = 10_000): Promise<HeapProbe> {
  const started = Date.now()
  let url: string | undefined
  while (url === undefined) {
    try {
      const res = await request(`http://127.0.0.1:${port}/json/list`, { signal: AbortSignal.timeout(1000) })
      const targets = await res.body.json() as Array<{ webSocketDebuggerUrl?: string }>
      url = targets[0]?.webSocketDebuggerUrl
    } catch { /* not listening yet */ }
    if (url === undefined) {
      if (Date.now() - started > limitMs) throw new Error(`no inspector on port ${port}`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  }
  const ws = new WebSocket(url)
  await new Promise<void>((resolve, reject) => {
    ws.addEventListener('open', () => { resolve() }, { once: true })
    ws.addEventListener('error', () => { reject(new Error(`inspector ${url}: WebSocket error`)) }, { once: true })
  })
  let id = 0
  const pending = new Map<number, (m: { result?: Record<string, unknown>, error?: { message: string } }) => void>()
  ws.addEventListener('message', (ev) => {
    const m = JSON.parse(String(ev.data)) as { id?: number, result?: Record<string, unknown>, error?: { message: string } }
    if (m.id !== undefined) pending.get(m.id)?.(m)
  })
  const send = async (method: string): Promise<Record<string, unknown>> => await new Promise((resolve, reject) => {
    const n = ++id
    pending.set(n, (m) => {
      pending.delete(n)
      if (m.error !== undefined) reject(new Error(`${method}: ${m.error.message}`))
      else resolve(m.result ?? {})
    })
    ws.send(JSON.stringify({ id: n, method }))
  })
  return {
    heapAfterGc: async () => {
      await send('HeapProfiler.collectGarbage')
      const usage = await send('Runtime.getHeapUsage')
      return Number(usage.usedSize)
    },
    close: () => { ws.close() },
  }
}
