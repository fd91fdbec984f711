// The built entry point's signal handling, in a real process: which signals drain, which do not.
import t from 'tap'
import { setTimeout as sleep } from 'node:timers/promises'
import { freePort, get, startCli, waitHttp } from './helpers/cli'
import { MockCluster } from './helpers/mock-cluster'
import { CLOSE_WITH_GRACE_SIGNALS, SHUTDOWN_SIGNALS } from '../src/server'

let cluster: MockCluster
t.before(async () => { cluster = await MockCluster.start(1) })
t.teardown(async () => { await cluster.stop() })

// Graceful shutdown is for the signals that mean "stop": SIGTERM (Kubernetes, docker stop) and
// SIGINT (^C). SIGHUP asks a daemon to reload and the agent has nothing to reload: it is logged
// and ignored. Every other signal keeps Node's default (SIGQUIT and SIGUSR2 end the process at
// once; with --report-on-signal, SIGUSR2 writes a diagnostic report instead).
t.test('signals: SIGINT drains like SIGTERM; SIGHUP is ignored; SIGQUIT and SIGUSR2 do not drain', async (t) => {
  const serve = async (shutdownDelay = '1500ms'): Promise<ReturnType<typeof startCli> & { port: number }> => {
    const port = await freePort()
    const started = startCli(['--kafka-brokers', cluster.address(1), '--interval', '300ms', '--timeout', '200ms', '--shutdown-delay', shutdownDelay], { HEALTHZ_PORT: String(port) })
    t.teardown(() => { started.child.kill('SIGKILL') })
    await waitHttp(port, '/readyz', 200)
    return { ...started, port }
  }

  const int = await serve()
  int.child.kill('SIGINT')
  await sleep(300)
  t.match((await get(int.port, '/readyz')).body, '[-]shutdown failed: SHUTTING_DOWN', 'SIGINT: readiness fails at once')
  t.equal((await get(int.port, '/livez')).status, 200, 'SIGINT: liveness answers through the drain')
  const intExit = await int.exit
  t.equal(intExit.code, 0)
  t.match(intExit.stdout, '"signal":"SIGINT"')

  const hup = await serve()
  hup.child.kill('SIGHUP')
  await sleep(500)
  t.equal(hup.child.exitCode, null, 'SIGHUP: still running')
  const ready = await get(hup.port, '/readyz')
  t.equal(ready.status, 200, `SIGHUP: still ready: ${ready.body}`)
  hup.child.kill('SIGTERM')
  const hupExit = await hup.exit
  t.equal(hupExit.code, 0, 'and SIGTERM after it still drains and exits 0')
  t.match(hupExit.stdout, 'SIGHUP ignored')
  t.equal(hupExit.stdout.split('\n').filter((l) => l.includes('shutting down')).length, 1, 'one shutdown, from SIGTERM')

  for (const signal of ['SIGQUIT', 'SIGUSR2'] as const) {
    // A 30 s drain, so "ended well before it" cannot be a slow machine finishing the drain.
    const other = await serve('30s')
    const started = Date.now()
    other.child.kill(signal)
    const r = await other.exit
    t.equal(r.signal, signal, `${signal}: the default action ends the process`)
    t.ok(Date.now() - started < 10_000, `${signal}: no drain (${Date.now() - started}ms)`)
    t.notMatch(r.stdout, 'shutting down', `${signal}: no graceful shutdown`)
  }
})

t.test('close-with-grace: every signal it would handle by default is skipped but SIGTERM and SIGINT', async (t) => {
  // Its own list, so an upgrade that adds a signal cannot quietly make it a shutdown signal.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { signalEvents } = require('close-with-grace/events/signal.events') as { signalEvents: string[] }
  t.same([...CLOSE_WITH_GRACE_SIGNALS].sort(), [...signalEvents].sort())
  t.same([...SHUTDOWN_SIGNALS].sort(), ['SIGINT', 'SIGTERM'])
})
