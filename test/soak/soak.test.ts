// The short soak in CI: one full cycle of every fault under a steady probe load (npm run soak
// runs the same for 10 minutes).
import t from 'tap'
import { runSoak } from './soak'

t.test('soak: faults in turn under steady probe load', { timeout: 180_000 }, async (t) => {
  const r = await runSoak(Number(process.env.SOAK_SECONDS ?? '30'), (line) => { t.comment(line) })
  t.comment(`${r.probes} probe answers, slowest ${r.slowestMs.toFixed(1)}ms; RSS ${r.rss.start.toFixed(1)} → ${r.rss.end.toFixed(1)} MiB; heap after GC ${r.heap.map((h) => h.toFixed(2)).join(' → ')} MiB; descriptors ${r.fds.start} → ${r.fds.end}`)
  t.ok(r.cycles >= 1 && r.phases.length >= 8, `${r.phases.length} fault phases`)
  t.ok(r.probes > 1000, `${r.probes} probe answers`)
  t.ok(r.heap.length >= 2, 'the heap after GC was read at the start and after each cycle')
  t.same([...new Set(r.violations)], [], 'no violations')
})
