import { execFileSync } from 'node:child_process'

/**
 * A test host of our own: a network namespace joined to this one by a veth pair, with private
 * addresses that exist only between the two ends. `silence()` makes the link drop every packet
 * both ways (a zero-length FIFO on each end: no FIN, no RST, no ICMP), as a network partition or
 * a dead node behind a stateful firewall does; `restore()` lets packets flow again. Needs root
 * and iproute2 (the kernel here has no netem; a pfifo of limit 0 drops just the same).
 */
export class TestHost {
  private constructor (readonly ns: string, private readonly hostSide: string, private readonly nsSide: string, readonly address: string) {}

  /** Why this machine cannot make one, or undefined when it can. */
  static unavailable (): string | undefined {
    if (process.getuid?.() !== 0) return 'network namespaces need root'
    try { execFileSync('ip', ['-V'], { stdio: 'pipe' }) } catch { return 'iproute2 (ip) is not installed' }
    try { execFileSync('tc', ['-V'], { stdio: 'pipe' }) } catch { return 'iproute2 (tc) is not installed' }
    return undefined
  }

  static create (): TestHost {
    const tag = `${process.pid % 100000}${Math.floor(Math.random() * 100)}`
    const ns = `hz${tag}`
    const hostSide = `hzh${tag}`.slice(0, 15)
    const nsSide = `hzn${tag}`.slice(0, 15)
    // A /30 of 10.213.0.0/16 per host, picked from the tag: one test host, two addresses.
    const n = Number(tag) % 16000
    const base = `10.213.${Math.floor(n / 64)}.${(n % 64) * 4}`
    const [a, b, c, d] = base.split('.').map(Number)
    const hostAddr = `${a}.${b}.${c}.${(d ?? 0) + 1}`
    const nsAddr = `${a}.${b}.${c}.${(d ?? 0) + 2}`
    const ip = (...args: string[]): void => { execFileSync('ip', args, { stdio: 'pipe' }) }
    ip('netns', 'add', ns)
    const h = new TestHost(ns, hostSide, nsSide, nsAddr)
    try {
      ip('link', 'add', hostSide, 'type', 'veth', 'peer', 'name', nsSide)
      ip('link', 'set', nsSide, 'netns', ns)
      ip('addr', 'add', `${hostAddr}/30`, 'dev', hostSide)
      ip('link', 'set', hostSide, 'up')
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${nsAddr}/30`, 'dev', nsSide)
      ip('netns', 'exec', ns, 'ip', 'link', 'set', nsSide, 'up')
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')
    } catch (err) {
      h.remove()
      throw err
    }
    return h
  }

  silence (): void {
    execFileSync('tc', ['qdisc', 'add', 'dev', this.hostSide, 'root', 'pfifo', 'limit', '0'], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'exec', this.ns, 'tc', 'qdisc', 'add', 'dev', this.nsSide, 'root', 'pfifo', 'limit', '0'], { stdio: 'pipe' })
  }

  restore (): void {
    for (const args of [['tc', 'qdisc', 'del', 'dev', this.hostSide, 'root'], ['ip', 'netns', 'exec', this.ns, 'tc', 'qdisc', 'del', 'dev', this.nsSide, 'root']]) {
      try { execFileSync(args[0] ?? '', args.slice(1), { stdio: 'pipe' }) } catch { /* not silenced */ }
    }
  }

  remove (): void {
    try { execFileSync('ip', ['link', 'del', this.hostSide], { stdio: 'pipe' }) } catch { /* gone with the namespace */ }
    try { execFileSync('ip', ['netns', 'del', this.ns], { stdio: 'pipe' }) } catch { /* already gone */ }
  }
}
