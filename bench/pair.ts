// Experiment: any two servers pinned to CPU 1, loaded together by two wrk -t1 -c50 on CPU 0, for
// several rounds; prints each round's throughput ratio A/B and each server's CPU (all threads)
// per request, so a ratio splits into "CPU share" x "cost per request".
//
//   npm run build && npx tsx bench/pair.ts --a agent:--kafka-brokers,BROKER --b bare [--seconds 10] [--rounds 3]
//
// A spec is bare | variant:<VARIANT of variant-server.cjs> | agent:<comma-separated agent args>
// | old:<args> (the same, from a copy of an earlier build in .cache/old/dist (with package.json beside it)),
// where BROKER stands for broker 1 of a mock cluster (started only when a spec names it).
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { promisify, parseArgs } from 'node:util'
import { freePort, waitHttp } from '../test/helpers/cli'
import { MockCluster } from '../test/helpers/mock-cluster'

const run = promisify(execFile)
const TICK = 100 // USER_HZ

function cpuSeconds (pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(f[11]) + Number(f[12])) / TICK
}

interface Server { name: string, proc: ChildProcess, port: number, url: string }

async function start (spec: string, cluster: MockCluster | undefined, cpu: string): Promise<Server> {
  const port = await freePort()
  const node = (script: string, args: string[], env: Record<string, string> = {}): ChildProcess =>
    spawn('taskset', ['-c', cpu, process.execPath, ...(process.env.NODE_EXTRA?.split(' ').filter(Boolean) ?? []), script, ...args],
      { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'inherit'] })
  if (spec === 'bare') {
    const proc = node(resolve(__dirname, 'bare-server.cjs'), [String(port)])
    await waitHttp(port, '/ok', 200, 30_000)
    return { name: spec, proc, port, url: `http://127.0.0.1:${port}/ok` }
  }
  if (spec.startsWith('variant:')) {
    const proc = node(resolve(__dirname, 'variant-server.cjs'), [String(port)], { VARIANT: spec.slice(8) })
    await waitHttp(port, '/ok', 200, 30_000)
    return { name: spec, proc, port, url: `http://127.0.0.1:${port}/ok` }
  }
  if (spec.startsWith('agent:') || spec.startsWith('old:')) {
    // old: a copy of an earlier build in .cache/old/dist (with package.json beside it), to compare two builds in one run.
    const dist = spec.startsWith('old:') ? resolve(__dirname, '..', '.cache', 'old', 'dist') : resolve(__dirname, '..', 'dist')
    const args = spec.slice(spec.indexOf(':') + 1).split(',').filter(Boolean).map((a) => a === 'BROKER' ? (cluster?.address(1) ?? '') : a)
    const proc = node(resolve(dist, 'cli.js'), ['--host', '127.0.0.1', '--port', String(port), '--log-level', 'warn', ...args])
    await waitHttp(port, '/ping', 200, 30_000)
    await new Promise((resolve) => setTimeout(resolve, 1500))
    return { name: spec, proc, port, url: `http://127.0.0.1:${port}/readyz` }
  }
  throw new Error(`unknown spec ${spec}`)
}

async function wrk (url: string, seconds: number): Promise<number> {
  const { stdout } = await run('taskset', ['-c', '0', 'wrk', '-t1', '-c50', `-d${seconds}s`, url])
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN)
}

async function main (): Promise<void> {
  const { values } = parseArgs({ strict: true, options: { a: { type: 'string' }, b: { type: 'string', default: 'bare' }, seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, 'mock-cpu': { type: 'string' }, 'cpu-b': { type: 'string', default: '1' }, perf: { type: 'boolean', default: false } } })
  const seconds = Number(values.seconds)
  execFileSync('taskset', ['-cp', '0', String(process.pid)], { stdio: 'ignore' })
  const needsBroker = `${values.a} ${values.b}`.includes('BROKER')
  const cluster = needsBroker ? await MockCluster.start(3) : undefined
  if (cluster !== undefined && values['mock-cpu'] !== undefined) execFileSync('taskset', ['-a', '-cp', values['mock-cpu'], String(cluster.pid)], { stdio: 'ignore' })
  const a = await start(values.a ?? 'bare', cluster, '1')
  const b = await start(values.b, cluster, values['cpu-b'])
  try {
    await Promise.all([wrk(a.url, 3), wrk(b.url, 3)])
    const ratios: number[] = []
    for (let r = 0; r < Number(values.rounds); r++) {
      const cpu0 = [cpuSeconds(a.proc.pid ?? 0), cpuSeconds(b.proc.pid ?? 0), cluster === undefined ? 0 : cpuSeconds(cluster.pid)]
      // --perf: record CPU 1 during the last round (start the servers with NODE_EXTRA=--perf-basic-prof for JS names).
      const perf = values.perf && r === Number(values.rounds) - 1
        ? run('perf', ['record', '-F', '499', '-C', '1', '-o', '/tmp/pair-perf.data', '--', 'sleep', String(seconds - 1)])
        : undefined
      const [ra, rb] = await Promise.all([wrk(a.url, seconds), wrk(b.url, seconds)])
      await perf
      const cpu = [cpuSeconds(a.proc.pid ?? 0) - (cpu0[0] ?? 0), cpuSeconds(b.proc.pid ?? 0) - (cpu0[1] ?? 0), cluster === undefined ? 0 : cpuSeconds(cluster.pid) - (cpu0[2] ?? 0)]
      const us = (c: number | undefined, rps: number): string => (((c ?? 0) * 1e6) / (rps * seconds)).toFixed(1)
      ratios.push(ra / rb)
      console.log(`round ${r + 1}: A ${ra.toFixed(0)} req/s, ${cpu[0]?.toFixed(2)} CPU s, ${us(cpu[0], ra)} us/req | B ${rb.toFixed(0)} req/s, ${cpu[1]?.toFixed(2)} CPU s, ${us(cpu[1], rb)} us/req | mock ${cpu[2]?.toFixed(2)} CPU s | A/B ${(ra / rb).toFixed(3)}`)
    }
    ratios.sort((x, y) => x - y)
    console.log(`A=${a.name} (pid ${a.proc.pid}) B=${b.name} (pid ${b.proc.pid}): median A/B ${ratios[Math.floor(ratios.length / 2)]?.toFixed(3)} (min ${ratios[0]?.toFixed(3)}, max ${ratios.at(-1)?.toFixed(3)})`)
  } finally {
    // SIGTERM first, so an agent started with NODE_EXTRA=--cpu-prof (and --shutdown-delay,0) writes its profile.
    const exited = (p: ChildProcess): Promise<unknown> => p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((resolve) => p.once('exit', resolve))
    a.proc.kill('SIGTERM')
    b.proc.kill('SIGTERM')
    await Promise.race([Promise.all([exited(a.proc), exited(b.proc)]), new Promise((resolve) => setTimeout(resolve, 10_000))])
    a.proc.kill('SIGKILL')
    b.proc.kill('SIGKILL')
    await cluster?.stop()
  }
}

main().catch((err: unknown) => { console.error(err); process.exit(1) })
