import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { request } from 'undici'

export const CLI = resolve(__dirname, '..', '..', 'dist', 'cli.js')

function requireBuild (): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" (the README's test command does)`)
}

export interface Exit { code: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string }

/** Runs the built CLI to completion. */
export async function runCli (args: string[], env: NodeJS.ProcessEnv = {}): Promise<Exit> {
  requireBuild()
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  return await collect(child)
}

export async function collect (child: ChildProcess): Promise<Exit> {
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (d: Buffer) => { stdout += d.toString() })
  child.stderr?.on('data', (d: Buffer) => { stderr += d.toString() })
  return await new Promise((resolve) => {
    child.once('exit', (code, signal) => { setImmediate(() => { resolve({ code, signal, stdout, stderr }) }) })
  })
}

/** Starts the built CLI as a server and returns it with a promise of its exit. */
export function startCli (args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess, exit: Promise<Exit> } {
  requireBuild()
  const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  return { child, exit: collect(child) }
}

export async function freePort (): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
  const { port } = srv.address() as { port: number }
  await new Promise((resolve) => srv.close(resolve))
  return port
}

export async function get (port: number, path: string): Promise<{ status: number, body: string }> {
  const res = await request(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(2000) })
  return { status: res.statusCode, body: await res.body.text() }
}

/** Polls until the server answers `path` with `status`. */
export async function waitHttp (port: number, path: string, status: number, limitMs = 10_000): Promise<void> {
  const start = Date.now()
  for (;;) {
    try {
      if ((await get(port, path)).status === status) return
    } catch { /* not listening yet */ }
    if (Date.now() - start > limitMs) throw new Error(`${path} never answered ${status}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export const ROOT = join(__dirname, '..', '..')
