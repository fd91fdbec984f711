// The baseline for bench/serve.ts: a bare fastify 5 route answering "ok", nothing else.
'use strict'
const app = require('fastify')()
app.get('/ok', async () => 'ok\n')
app.listen({ host: '127.0.0.1', port: Number(process.argv[2]) }).catch((err) => { console.error(err); process.exit(1) })
