import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestPki {
  dir: string, caFile: string, ca: string, serverCert: string, serverKey: string, clientCertFile: string, clientKeyFile: string
  /** A server certificate naming only connect-0.connect, as a pod's DNS name would be. */
  namedCert: string, namedKey: string
}

/** A throwaway CA with a server certificate for 127.0.0.1/localhost and a client certificate, made with openssl. */
export function makePki (): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'healthz-pki-'))
  const f = (name: string): string => join(dir, name)
  const ssl = (...args: string[]): void => { execFileSync('openssl', args, { stdio: 'pipe' }) }
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=healthz-test-ca', '-keyout', f('ca.key'), '-out', f('ca.pem'))
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth'],
    ['named', 'subjectAltName=DNS:connect-0.connect\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(f(`${name}.ext`), `${ext}\n`)
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=healthz-test-${name}`, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`))
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-extfile', f(`${name}.ext`), '-out', f(`${name}.pem`))
  }
  return {
    dir,
    caFile: f('ca.pem'),
    ca: readFileSync(f('ca.pem'), 'utf8'),
    serverCert: readFileSync(f('server.pem'), 'utf8'),
    serverKey: readFileSync(f('server.key'), 'utf8'),
    clientCertFile: f('client.pem'),
    clientKeyFile: f('client.key'),
    namedCert: readFileSync(f('named.pem'), 'utf8'),
    namedKey: readFileSync(f('named.key'), 'utf8'),
  }
}
