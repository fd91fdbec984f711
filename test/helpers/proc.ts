import { readFileSync, readdirSync } from 'node:fs'

/** Resident memory of a process, from /proc. */
export function rssMiB (pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(m?.[1] ?? NaN) / 1024
}

/** Open file descriptors of a process (sockets included), from /proc. */
export function openFds (pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length
}
