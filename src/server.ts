import closeWithGrace from 'close-with-grace'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { createAgent } from './agent'
import { buildApp } from './http/app'
import { publicOptions } from './config/describe'
import type { Config } from './config/resolve'

/** Time allowed for closing the server and clients once the drain delay is over. */
const CLOSE_BUDGET_MS = 5000

/** The signals that start the graceful shutdown: Kubernetes' and docker stop's SIGTERM, and ^C. */
export const SHUTDOWN_SIGNALS: readonly closeWithGrace.Signals[] = ['SIGTERM', 'SIGINT']

/**
 * Every signal close-with-grace turns into a graceful close unless skipped (its
 * events/signal.events.js; test/cli.test.ts compares). All but SHUTDOWN_SIGNALS are skipped:
 * SIGHUP asks a daemon to reload, and we log and ignore it (below); SIGUSR2 is Node's
 * --report-on-signal; SIGQUIT keeps its default (end now, no drain); and a JS listener on a
 * real SIGSEGV, SIGBUS, SIGFPE or SIGILL can hang the process instead of letting it crash.
 */
export const CLOSE_WITH_GRACE_SIGNALS: readonly closeWithGrace.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGBUS', 'SIGFPE', 'SIGSEGV', 'SIGUSR2', 'SIGTERM',
]

/**
 * Serves until SIGTERM or SIGINT. Shutdown follows Kubernetes' endpoint-removal race: readiness
 * fails at once (SHUTTING_DOWN) while /livez and /ping keep answering for --shutdown-delay, then
 * the server and clients close and the process exits 0. A second signal exits at once. SIGHUP
 * is ignored: the configuration (flags and environment) is fixed for the life of the process,
 * so there is nothing to reload, and a reload request must not take the pod out of its Service.
 */
export async function serve (config: Config, logger: Logger): Promise<void> {
  const agent = createAgent(config, { logger })
  const app = buildApp({ agent, logger })
  const address = await app.listen({ host: config.host, port: config.port })
  agent.runner.start()
  logger.info({ address, config: publicOptions(config) }, 'kafka-healthz started')

  process.on('SIGHUP', () => {
    logger.info({ signal: 'SIGHUP' }, 'SIGHUP ignored: there is nothing to reload (flags and environment are fixed at start); SIGTERM or SIGINT shut down')
  })
  const skip = CLOSE_WITH_GRACE_SIGNALS.filter((s) => !SHUTDOWN_SIGNALS.includes(s))
  closeWithGrace({ delay: config.shutdownDelay + CLOSE_BUDGET_MS, logger, skip }, async ({ signal, err }) => {
    agent.lifecycle.shuttingDown = true
    if (err !== undefined) logger.error({ err }, 'closing after an unexpected error')
    if (signal !== undefined) {
      logger.info({ signal, drainMs: config.shutdownDelay }, 'shutting down: readiness fails now, closing after the drain delay')
      await sleep(config.shutdownDelay)
    }
    await app.close()
    await agent.close()
    logger.info('kafka-healthz stopped')
  })
}
