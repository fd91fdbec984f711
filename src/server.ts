import closeWithGrace from 'close-with-grace'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { createAgent } from './agent'
import { buildApp } from './app'
import { publicOptions } from './config/describe'
import type { Config } from './config/resolve'

/** Time allowed for closing the server and clients once the drain delay is over. */
const CLOSE_BUDGET_MS = 5000

/**
 * Serves until SIGTERM/SIGINT. Shutdown follows Kubernetes' endpoint-removal race: readiness
 * fails at once (SHUTTING_DOWN) while /livez and /ping keep answering for --shutdown-delay, then
 * the server and clients close and the process exits 0. A second signal exits at once.
 */
export async function serve (config: Config, logger: Logger): Promise<void> {
  const agent = createAgent(config, { logger })
  const app = buildApp({ agent, logger })
  const address = await app.listen({ host: config.host, port: config.port })
  agent.runner.start()
  logger.info({ address, config: publicOptions(config) }, 'kafka-healthz started')

  closeWithGrace({ delay: config.shutdownDelay + CLOSE_BUDGET_MS, logger }, async ({ signal, err }) => {
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
