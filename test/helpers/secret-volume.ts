import { mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/**
 * A Secret volume updated the way the kubelet does it (its AtomicWriter): each version goes into
 * a fresh hidden directory, `..data` is re-pointed at it by renaming a new symlink over the old
 * one (one atomic step), and the visible names are symlinks through `..data`. A reader never
 * sees a mix of two versions, and a path opened after the swap reads the new one.
 */
export class SecretVolume {
  readonly dir = mkdtempSync(join(tmpdir(), 'healthz-secret-'))
  private version = 0

  path (name: string): string { return join(this.dir, name) }

  write (files: Record<string, string>): void {
    const versionDir = `..${new Date().toISOString().replace(/[:.]/g, '_')}.${this.version++}`
    mkdirSync(join(this.dir, versionDir))
    for (const [name, content] of Object.entries(files)) writeFileSync(join(this.dir, versionDir, name), content)
    const dataLink = join(this.dir, '..data')
    const previous = existsSync(dataLink) ? readlinkSync(dataLink) : undefined
    symlinkSync(versionDir, join(this.dir, '..data_tmp'))
    renameSync(join(this.dir, '..data_tmp'), dataLink)
    for (const name of Object.keys(files)) {
      if (!existsSync(join(this.dir, name))) symlinkSync(join('..data', name), join(this.dir, name))
    }
    if (previous !== undefined) rmSync(join(this.dir, previous), { recursive: true, force: true })
  }

  remove (): void { rmSync(this.dir, { recursive: true, force: true }) }
}
