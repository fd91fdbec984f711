// `kafka-healthz ping` in-process: where it connects and what it prints when /ping is not 200.
import t from 'tap'
import { createServer } from 'node:http'
import { PassThrough } from 'node:stream'
import { pingAgent, pingHost } from '../src/ping'
import type { Config } from '../src/config/resolve'

t.test('a wildcard listen address is reached over loopback', async (t) => {
  t.equal(pingHost('0.0.0.0'), '127.0.0.1')
  t.equal(pingHost(''), '127.0.0.1')
  t.equal(pingHost('::'), '::1')
  t.equal(pingHost('[::]'), '::1')
  t.equal(pingHost('[fd00::1]'), 'fd00::1')
  t.equal(pingHost('10.1.2.3'), '10.1.2.3')
})

t.test('503 and silence both exit 1, with what happened', async (t) => {
  let status = 503
  let hang = false
  const srv = createServer((req, res) => {
    if (hang) return
    res.statusCode = req.url === '/ping' ? status : 404
    res.end('x')
  })
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { srv.closeAllConnections(); srv.close() })
  const { port } = srv.address() as { port: number }
  const config = { host: '127.0.0.1', port, timeout: 300 } as Config
  const run = async (): Promise<[number, string]> => {
    const out = new PassThrough()
    let text = ''
    out.on('data', (d: Buffer) => { text += d.toString() })
    return [await pingAgent(config, out), text]
  }
  t.same(await run(), [1, `ping 127.0.0.1:${port}/ping: 503\n`])
  status = 200
  t.same(await run(), [0, `ping 127.0.0.1:${port}/ping: ok\n`])
  hang = true
  t.same(await run(), [1, `ping 127.0.0.1:${port}/ping: no answer within 300ms\n`])
})
