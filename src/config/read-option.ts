import { X509Certificate, createPrivateKey } from 'node:crypto'
import { ConfigError, sourceOf } from './parse-options'
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

/** The option as the person set it (flag or environment variable); see sourceOf. */
export const named = sourceOf

/** Reads the file an option names; a failure is a config error naming the option. */
export function readOption (deps: ResolveDeps, o: Options, key: keyof Options): string {
  const path = String(o[key])
  try {
    return deps.readFile(path)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable'
    throw new ConfigError(`${named(o, key)}: got ${JSON.stringify(path)}, expected a readable file (${code})`)
  }
}

/** Secret files usually end in a newline that is not part of the secret. */
export function readSecretFile (deps: ResolveDeps, o: Options, key: keyof Options): string {
  return readOption(deps, o, key).replace(/\r?\n$/, '')
}

/** Cert and key come as a pair; a lone one is a mistake worth naming. */
export function certPair (o: Options, cert: keyof Options, key: keyof Options): void {
  if ((o[cert] === '') !== (o[key] === '')) {
    const [given, missing] = o[cert] === '' ? [key, cert] : [cert, key]
    throw new ConfigError(`${named(o, missing)}: got nothing, expected a file because ${named(o, given)} is set`)
  }
}

/** TLS settings as kafkajs and undici both take them (Node's tls.connect options). */
export interface TlsOptions { ca?: string, cert?: string, key?: string, servername?: string, rejectUnauthorized: boolean }

/**
 * Builds TLS settings from one peer's options: files read, the cert/key pair checked. Returns
 * undefined when none of them is set (and `enabled` is false): plain TCP.
 */
export function tlsOptions (
  o: Options, deps: ResolveDeps, enabled: boolean,
  k: { ca: keyof Options, cert: keyof Options, key: keyof Options, serverName: keyof Options, insecure: keyof Options },
): TlsOptions | undefined {
  certPair(o, k.cert, k.key)
  const str = (key: keyof Options): string => String(o[key])
  const insecure = o[k.insecure] === true
  if (!enabled && !insecure && [k.ca, k.cert, k.serverName].every((key) => str(key) === '')) return undefined
  return {
    rejectUnauthorized: !insecure,
    ...(str(k.ca) !== '' && { ca: readOption(deps, o, k.ca) }),
    ...(str(k.cert) !== '' && { cert: readOption(deps, o, k.cert) }),
    ...(str(k.key) !== '' && { key: readOption(deps, o, k.key) }),
    ...(str(k.serverName) !== '' && { servername: str(k.serverName) }),
  }
}

/**
 * Throws when TLS material does not load (a half-written PEM, a key that is not the
 * certificate's): what a rotation must not swap in. Node's own loader skips a CA it cannot
 * parse, so every certificate block is parsed here. The message names the options and the
 * parser's reason, never the material.
 */
export function checkTlsMaterial (tls: TlsOptions | undefined, options: string): void {
  if (tls === undefined) return
  const certs = (pem: string, what: string): X509Certificate[] => {
    const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []
    const begins = pem.match(/-----BEGIN /g)?.length ?? 0
    if (blocks.length === 0 || begins !== blocks.length) throw new Error(`${what}: ${blocks.length} whole PEM certificate(s) among ${begins} begun`)
    return blocks.map((b) => new X509Certificate(b))
  }
  try {
    if (tls.ca !== undefined) certs(tls.ca, 'CA')
    if (tls.cert !== undefined && tls.key !== undefined) {
      const [leaf] = certs(tls.cert, 'certificate')
      if (leaf !== undefined && !leaf.checkPrivateKey(createPrivateKey(tls.key))) throw new Error('the key is not the certificate\'s')
    }
  } catch (err) {
    throw new ConfigError(`${options}: the files do not load as TLS material (${err instanceof Error ? err.message : String(err)})`)
  }
}
