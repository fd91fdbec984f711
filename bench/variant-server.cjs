// Experiment: the bare route of bench/bare-server.cjs with one piece of the agent added at a time,
// chosen by VARIANT (comma-separated): require (kafkajs + prom-client loaded, idle), metrics
// (prom-client default metrics in a registry), logger (pino at warn, as the agent's), hook (an
// onResponse hook counting into a prom-client counter via routeOptions.url), headers
// (cache-control + content-type), timer (a 1 s interval doing nothing).
'use strict'
/* global setInterval */
const v = new Set((process.env.VARIANT ?? '').split(',').filter(Boolean))
const opts = {}
if (v.has('logger')) {
  const pino = require('pino')
  opts.loggerInstance = pino({ level: 'warn', redact: { paths: ['password', '*.password'], censor: '<redacted>' } })
  opts.disableRequestLogging = true
  opts.childLoggerFactory = (parent) => parent
}
const app = require('fastify')(opts)
if (v.has('require')) { require('kafkajs'); require('prom-client') }
let counter
if (v.has('metrics') || v.has('hook')) {
  const prom = require('prom-client')
  const registry = new prom.Registry()
  if (v.has('metrics')) prom.collectDefaultMetrics({ register: registry })
  counter = new prom.Counter({ name: 'x', help: 'x', labelNames: ['endpoint', 'code'], registers: [registry] })
}
if (v.has('hook')) {
  const children = new Map()
  app.addHook('onResponse', (req, reply, done) => {
    const key = `${req.routeOptions.url} ${reply.statusCode}`
    let c = children.get(key)
    if (c === undefined) { c = counter.labels({ endpoint: req.routeOptions.url, code: String(reply.statusCode) }); children.set(key, c) }
    c.inc()
    done()
  })
}
if (v.has('timer')) setInterval(() => {}, 1000)
const headers = v.has('headers')
app.get('/ok', async (req, reply) => {
  if (headers) { reply.header('cache-control', 'no-store'); reply.type('text/plain; charset=utf-8') }
  return 'ok\n'
})
app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) }).catch((err) => { console.error(err); process.exit(1) })
