// npm run soak [-- --seconds 600]: the soak suite at length (default 10 minutes).
import { parseArgs } from 'node:util'
import { runSoak } from './soak'

void (async () => {
  const { values } = parseArgs({ strict: false, options: { seconds: { type: 'string', default: '600' } } })
  const r = await runSoak(Number(values.seconds), (line) => { console.log(line) })
  console.log(`\n${r.cycles} cycles of ${r.phases.length / Math.max(1, r.cycles)} faults in ${r.seconds}s, ${r.probes} probe answers, slowest ${r.slowestMs.toFixed(1)}ms`)
  console.log(`RSS ${r.rss.start.toFixed(1)} → ${r.rss.end.toFixed(1)} MiB, descriptors ${r.fds.start} → ${r.fds.end}`)
  console.log(`heap after GC (MiB), start then after each cycle: ${r.heap.map((h) => h.toFixed(2)).join(' ')}`)
  const worst = (k: 'detectMs' | 'recoverMs'): number => Math.max(...r.phases.map((p) => p[k]))
  console.log(`slowest fault → 503: ${worst('detectMs')}ms; slowest heal → 200: ${worst('recoverMs')}ms`)
  if (r.violations.length > 0) {
    console.log(`\nFAILED, ${r.violations.length} violations:\n${[...new Set(r.violations)].slice(0, 30).join('\n')}`)
    process.exitCode = 1
  } else {
    console.log('\nsoak passed')
  }
})()
