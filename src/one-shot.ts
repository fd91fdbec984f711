import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { createAgent } from './agent'
import type { Config } from './config/resolve'
import { renderVerdict } from './http/probe-routes'

/**
 * `kafka-healthz check`: one run of the checks behind --probe, printed like `?verbose`, exit 0
 * when it passes and 1 when not. With --wait it retries every --interval until it passes or the
 * wait is over: an init container that waits for N brokers, without a shell loop.
 */
export async function checkOnce (config: Config, logger: Logger, out: NodeJS.WritableStream): Promise<number> {
  // Thresholds smooth a stream of runs; a single run should say what it saw. One-shot mode only
  // looks: an init container waiting for health must not restart connectors (self-healing).
  const connect = config.connect === undefined ? undefined : { ...config.connect, restart: undefined }
  const agent = createAgent({ ...config, failureThreshold: 1, successThreshold: 1, connect }, { logger })
  const giveUpAt = Date.now() + config.wait
  try {
    for (;;) {
      const started = Date.now()
      await agent.runner.runCycle(agent.probes.checksOf(config.probe))
      const verdict = agent.probes.evaluate(config.probe)
      const next = started + config.interval
      if (verdict.ok || next > giveUpAt) {
        out.write(renderVerdict(verdict, true))
        return verdict.ok ? 0 : 1
      }
      logger.warn({ probe: config.probe, failing: verdict.lines.filter((l) => !l.ok).map((l) => `${l.name}: ${l.reason}`) }, 'not yet healthy, retrying')
      await sleep(Math.max(0, next - Date.now()))
    }
  } finally {
    await agent.close()
  }
}
