import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import type { FastifyInstance } from 'fastify'
import { createAgent, type Agent, type AgentDeps } from '../../src/agent'
import { buildApp } from '../../src/http/app'
import { parseOptions } from '../../src/config/parse-options'
import { resolveConfig, type Config, type ResolveDeps } from '../../src/config/resolve'
import { createLogger } from '../../src/log/logger'

/** Config as the CLI would build it from these flags, with no environment. */
export function configFrom (argv: string[], env: NodeJS.ProcessEnv = {}, deps: Partial<ResolveDeps> = {}): Config {
  return resolveConfig(parseOptions(argv, env).options, { readFile: () => '', hostname: undefined, localAddresses: () => [], ...deps })
}

/** Captures every log line, so tests can assert on what was (and was not) logged. */
export class LogSink extends Writable {
  readonly lines: string[] = []
  override _write (chunk: Buffer, _enc: string, cb: () => void): void {
    this.lines.push(...chunk.toString().split('\n').filter((l) => l !== ''))
    cb()
  }

  get text (): string { return this.lines.join('\n') }
}

export interface TestAgent {
  agent: Agent
  app: FastifyInstance
  logs: LogSink
  close: () => Promise<void>
}

/**
 * A fresh agent and app per test (own registry, own clients), with logs captured. With
 * `start: false` the background loop stays off and the test drives runs with runCycle().
 */
export async function startAgent (config: Config, deps: Partial<AgentDeps> = {}, { level = 'info', start = true, idleSocketMs = undefined as number | undefined } = {}): Promise<TestAgent> {
  const logs = new LogSink()
  const logger = createLogger(level, logs)
  // The stand-in's worker ids (10.0.0.1:8083…) are made up: no test dials them unless it says how.
  const agent = createAgent(config, { logger, workerDial: async () => await Promise.resolve('there' as const), ...deps })
  const app = buildApp({ agent, logger, ...(idleSocketMs !== undefined && { idleSocketMs }) })
  await app.ready()
  if (start) agent.runner.start()
  return {
    agent,
    app,
    logs,
    close: async () => {
      await app.close()
      await agent.close()
    },
  }
}

/** Polls `probe` until it answers `status`; returns how long that took, or throws after `limitMs`. */
export async function waitForStatus (app: FastifyInstance, url: string, status: number, limitMs: number): Promise<number> {
  const start = Date.now()
  for (;;) {
    const res = await app.inject({ url })
    if (res.statusCode === status) return Date.now() - start
    if (Date.now() - start > limitMs) throw new Error(`${url} still answers ${res.statusCode} after ${limitMs}ms: ${res.body}`)
    await sleep(10)
  }
}

/** Polls `url` until its body contains `text` (checks of one cycle finish at different moments). */
export async function waitForBody (app: FastifyInstance, url: string, text: string, limitMs: number): Promise<void> {
  const start = Date.now()
  for (;;) {
    const res = await app.inject({ url })
    if (res.body.includes(text)) return
    if (Date.now() - start > limitMs) throw new Error(`${url} never said ${JSON.stringify(text)}; last: ${res.body}`)
    await sleep(10)
  }
}
