#!/usr/bin/env node
import { renderHelp } from './config/describe'
import { ConfigError, parseOptions } from './config/parse-options'
import { resolveConfig } from './config/resolve'
import { createLogger } from './log/logger'
import { checkOnce } from './one-shot'
import { isPingCommand, pingAgent, pingTarget } from './ping'
import { serve } from './server'
import { VERSION } from './version'

/** Exit status 2 with one line for configuration errors, as CLI conventions go; never a stack trace. */
const EXIT_CONFIG = 2
/** `ping` answers Docker's HEALTHCHECK, where 0 is healthy, 1 unhealthy and 2 reserved: never 2. */
const EXIT_UNHEALTHY = 1

async function ping (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(renderHelp(VERSION)); return 0 }
  try {
    return await pingAgent(pingTarget(argv, env), process.stdout)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    process.stderr.write(`kafka-healthz ping: ${err.message}\n`)
    return EXIT_UNHEALTHY
  }
}

async function main (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | undefined> {
  // Before the serve configuration is read: ping needs none of it (see pingTarget).
  if (isPingCommand(argv)) return await ping(argv, env)
  let parsed
  let config
  try {
    parsed = parseOptions(argv, env)
    if (parsed.help) { process.stdout.write(renderHelp(VERSION)); return 0 }
    if (parsed.version) { process.stdout.write(`${VERSION}\n`); return 0 }
    config = resolveConfig(parsed.options)
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`kafka-healthz: ${err.message}\n`)
      return EXIT_CONFIG
    }
    throw err
  }
  // The verdict goes to stdout in check mode; logs go to stderr so the two never mix.
  const logger = parsed.command === 'check'
    ? createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr)
    : createLogger(config.logLevel)
  // Node prints warnings as plain text; route them through the logger so every line is JSON.
  // kafkajs 2.2.4 arms a timer with a negative delay on every request, which Node 24 reports
  // as TimeoutNegativeWarning: harmless (Node treats it as 1ms) and not actionable, so debug.
  process.removeAllListeners('warning')
  process.on('warning', (w) => {
    const level = w.name === 'TimeoutNegativeWarning' ? 'debug' : 'warn'
    logger[level]({ warning: { name: w.name, message: w.message } }, `node warning: ${w.name}`)
  })
  if (parsed.command === 'check') return await checkOnce(config, logger, process.stdout)
  await serve(config, logger)
  return undefined
}

main(process.argv.slice(2), process.env).then((code) => {
  if (code !== undefined) process.exitCode = code
}, (err: unknown) => {
  process.stderr.write(`kafka-healthz: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
