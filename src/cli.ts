#!/usr/bin/env node
import { renderHelp } from './config/describe'
import { ConfigError, parseOptions } from './config/parse-options'
import { resolveConfig } from './config/resolve'
import { createLogger } from './log/logger'
import { checkOnce } from './one-shot'
import { serve } from './server'
import { VERSION } from './version'

/** Exit status 2 with one line for configuration errors, as CLI conventions go; never a stack trace. */
const EXIT_CONFIG = 2

async function main (argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number | undefined> {
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
  if (parsed.command === 'check') {
    // The verdict goes to stdout; logs go to stderr so the two never mix in a probe's output.
    const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel, process.stderr)
    return await checkOnce(config, logger, process.stdout)
  }
  await serve(config, createLogger(config.logLevel))
  return undefined
}

main(process.argv.slice(2), process.env).then((code) => {
  if (code !== undefined) process.exitCode = code
}, (err: unknown) => {
  process.stderr.write(`kafka-healthz: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
