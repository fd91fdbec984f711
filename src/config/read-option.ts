import { ConfigError } from './parse-options'
import { flagName, type Options } from './schema'

/** What resolving config needs from the outside world; tests pass their own. */
export interface ResolveDeps {
  readFile: (path: string) => string
  /** $HOSTNAME: a StatefulSet pod's hostname is its pod name. */
  hostname: string | undefined
  /** This pod's own IP addresses, for --connect-worker-id=auto. */
  localAddresses: () => string[]
}

export function flag (key: keyof Options): string {
  return `--${flagName(key)}`
}

/** Reads the file an option names; a failure is a config error naming the option. */
export function readOption (deps: ResolveDeps, key: keyof Options, path: string): string {
  try {
    return deps.readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new ConfigError(`${flag(key)}: got ${JSON.stringify(path)}, expected a readable file (${code})`)
  }
}

/** Secret files usually end in a newline that is not part of the secret. */
export function readSecretFile (deps: ResolveDeps, key: keyof Options, path: string): string {
  return readOption(deps, key, path).replace(/\r?\n$/, '')
}

/** Cert and key come as a pair; a lone one is a mistake worth naming. */
export function certPair (o: Options, cert: keyof Options, key: keyof Options): void {
  if ((o[cert] === '') !== (o[key] === '')) {
    const [given, missing] = o[cert] === '' ? [key, cert] : [cert, key]
    throw new ConfigError(`${flag(missing)}: got nothing, expected a file because ${flag(given)} is set`)
  }
}
