import pino, { type Logger } from 'pino'

/**
 * Paths pino blanks out wherever they appear in a log line. The agent never logs a secret on
 * purpose; this is the net under that rule (an error object that carries its request options, say).
 */
export const REDACT_PATHS = [
  'password', '*.password', '*.*.password',
  'kafkaSaslPassword', '*.kafkaSaslPassword',
  'sasl', '*.sasl',
  'authorization', '*.authorization', '*.headers.authorization', '*.*.headers.authorization',
]

export function createLogger (level: string, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    base: { name: 'kafka-healthz' },
    redact: { paths: REDACT_PATHS, censor: '<redacted>' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  }
  return destination === undefined ? pino(options) : pino(options, destination)
}
