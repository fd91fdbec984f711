import { request } from 'node:http'
import type { Config } from './config/resolve'

/** Where to reach our own server: a wildcard listen address is reached over loopback. */
export function pingHost (host: string): string {
  if (host === '' || host === '0.0.0.0') return '127.0.0.1'
  if (host === '::' || host === '[::]') return '::1'
  return host.replace(/^\[(.*)\]$/, '$1')
}

/**
 * `kafka-healthz ping`: GET /ping of the agent already running on --host/--port, exit 0 on 200
 * and 1 otherwise. It is the image's HEALTHCHECK: the runtime image has no shell and no curl,
 * and a HEALTHCHECK that ran the checks itself would double the load on the broker.
 */
export async function pingAgent (config: Config, out: NodeJS.WritableStream): Promise<number> {
  const result = await new Promise<string>((resolve) => {
    const req = request({
      host: pingHost(config.host),
      port: config.port,
      path: '/ping',
      timeout: config.timeout,
      headers: { 'user-agent': 'kafka-healthz ping' },
    }, (res) => {
      res.resume()
      resolve(String(res.statusCode))
    })
    req.on('timeout', () => { req.destroy(new Error(`no answer within ${String(config.timeout)}ms`)) })
    req.on('error', (err) => { resolve(err.message) })
    req.end()
  })
  const ok = result === '200'
  out.write(`ping ${pingHost(config.host)}:${String(config.port)}/ping: ${ok ? 'ok' : result}\n`)
  return ok ? 0 : 1
}
