// The fixed-rate client of bench/serve.ts, in a process of its own (the bench pins it to CPU 0),
// so its latencies do not include the bench process's own event-loop stalls (the mock cluster's
// line reader, wrk output parsing, tsx, GC of the bench's heap).
//
//   node bench/fixed-rate.cjs URL RATE SECONDS   -> one JSON line: { sent, non200, p50, p99, max } (ms)
//
// Requests go out in batches every 10 ms on 10 keep-alive connections, each timed on its own with hrtime.
'use strict'
/* global URL */
const { Pool } = require('undici')
const { setTimeout: sleep } = require('node:timers/promises')

async function main () {
  const url = new URL(process.argv[2])
  const rate = Number(process.argv[3])
  const seconds = Number(process.argv[4])
  const pool = new Pool(url.origin, { connections: 10 })
  // Warm-up (JIT of both sides, connections) before the timed window.
  for (let i = 0; i < 200; i++) await (await pool.request({ path: url.pathname, method: 'GET' })).body.dump()
  const latencies = []
  let non200 = 0
  const pending = []
  const end = Date.now() + seconds * 1000
  const perTick = rate / 100
  let next = Date.now()
  while (Date.now() < end) {
    for (let i = 0; i < perTick; i++) {
      const t0 = process.hrtime.bigint()
      pending.push(pool.request({ path: url.pathname, method: 'GET' }).then(async (res) => {
        await res.body.dump()
        if (res.statusCode !== 200) non200++
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6)
      }))
    }
    next += 10
    await sleep(Math.max(0, next - Date.now()))
  }
  await Promise.all(pending)
  await pool.close()
  latencies.sort((a, b) => a - b)
  const at = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN
  console.log(JSON.stringify({ sent: latencies.length, non200, p50: at(0.5), p99: at(0.99), max: latencies.at(-1) ?? NaN }))
}

main().catch((err) => { console.error(err); process.exit(1) })
