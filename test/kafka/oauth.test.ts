// OAUTHBEARER token sources (issue 17, item 5): a token file that rotates, and an OIDC
// client-credentials endpoint (a local stand-in) whose token is reused until it nears expiry.
import t from 'tap'
import { createServer, type IncomingMessage } from 'node:http'
import { oauthProvider } from '../../src/kafka/oauth'
import { BrokerError } from '../../src/kafka/client'
import { configFrom } from '../helpers/agent'

t.test('a token file is read at every authentication, so it rotates', async (t) => {
  const files: Record<string, string> = { '/var/run/token': 'eyJ.first.sig\n' }
  const provide = oauthProvider({ kind: 'file', path: '/var/run/token' }, { timeoutMs: 1000, readFile: (p) => { const f = files[p]; if (f === undefined) throw Object.assign(new Error('x'), { code: 'ENOENT' }); return f } })
  t.same(await provide(), { value: 'eyJ.first.sig' })
  files['/var/run/token'] = 'eyJ.second.sig'
  t.same(await provide(), { value: 'eyJ.second.sig' })
  files['/var/run/token'] = ''
  await t.rejects(provide(), new BrokerError('auth', 'OAUTHBEARER token file /var/run/token is empty'))
  delete files['/var/run/token']
  await t.rejects(provide(), new BrokerError('auth', 'OAUTHBEARER token file /var/run/token: ENOENT'))
})

t.test('client credentials: basic auth, the grant and scope; one token until it nears expiry', async (t) => {
  const seen: Array<{ auth: string | undefined, body: string }> = []
  let answer: { status: number, json: unknown } = { status: 200, json: { access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 } }
  const server = createServer((req: IncomingMessage, res) => {
    let body = ''
    req.on('data', (d: Buffer) => { body += d.toString() })
    req.on('end', () => {
      seen.push({ auth: req.headers.authorization, body })
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.close() })
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/oauth2/token`
  let clock = 1_000_000
  const provide = oauthProvider({ kind: 'client-credentials', tokenUrl: url, clientId: 'healthz', clientSecret: 's3:cret', scope: 'kafka' }, { timeoutMs: 2000, now: () => clock })

  const [a, b] = await Promise.all([provide(), provide()])
  t.same([a, b], [{ value: 'tok-1' }, { value: 'tok-1' }])
  t.equal(seen.length, 1, 'connections dialled at once share one request')
  t.equal(seen[0]?.auth, `Basic ${Buffer.from('healthz:s3%3Acret').toString('base64')}`, 'RFC 6749 client_secret_basic, form-encoded')
  t.same(Object.fromEntries(new URLSearchParams(seen[0]?.body)), { grant_type: 'client_credentials', scope: 'kafka' })

  clock += 30 * 60_000
  t.same(await provide(), { value: 'tok-1' }, 'reused while fresh')
  t.equal(seen.length, 1)
  answer = { status: 200, json: { access_token: 'tok-2', expires_in: 3600 } }
  clock += 29 * 60_000
  t.same(await provide(), { value: 'tok-2' }, 'renewed before it expires')
  t.equal(seen.length, 2)

  answer = { status: 401, json: { error: 'invalid_client', error_description: 'bad\nsecret' } }
  clock += 60 * 60_000
  const err = await provide().catch((e: unknown) => e)
  t.ok(err instanceof BrokerError && err.kind === 'auth', 'our credentials, not the broker down')
  t.equal((err as Error).message, `OAUTHBEARER token endpoint ${url} answered HTTP 401: invalid_client (bad\\nsecret)`)
  t.notMatch((err as Error).message, 's3', 'the secret is never in a message')
  answer = { status: 200, json: { token_type: 'Bearer' } }
  await t.rejects(provide(), { message: `OAUTHBEARER token endpoint ${url} answered HTTP 200 without an access_token` })
})

t.test('config: oauthbearer takes exactly one source; the endpoint needs a client id and secret', async (t) => {
  const files = { readFile: (p: string) => (p === '/token' || p === '/secret' ? 'x\n' : (() => { throw Object.assign(new Error('x'), { code: 'ENOENT' }) })()) }
  const base = ['--kafka-brokers', 'k:9092', '--kafka-sasl-mechanism', 'oauthbearer']
  t.match(configFrom([...base, '--kafka-sasl-oauth-token-file', '/token'], {}, files).kafka?.sasl, { mechanism: 'oauthbearer', oauth: { kind: 'file', path: '/token' } })
  t.match(configFrom([...base, '--kafka-sasl-oauth-token-url', 'https://idp.example/token', '--kafka-sasl-oauth-client-id', 'c', '--kafka-sasl-oauth-client-secret-file', '/secret'], {}, files).kafka?.sasl,
    { mechanism: 'oauthbearer', oauth: { kind: 'client-credentials', tokenUrl: 'https://idp.example/token', clientId: 'c', clientSecret: 'x', scope: '' } })
  t.throws(() => configFrom(base, {}, files), { message: '--kafka-sasl-oauth-token-file: expected either a token file or --kafka-sasl-oauth-token-url (an OIDC endpoint), exactly one, because --kafka-sasl-mechanism is oauthbearer' })
  t.throws(() => configFrom([...base, '--kafka-sasl-oauth-token-file', '/missing'], {}, files), { message: '--kafka-sasl-oauth-token-file: got "/missing", expected a readable file (ENOENT)' })
  t.throws(() => configFrom([...base, '--kafka-sasl-oauth-token-url', 'https://idp.example/token'], {}, files), { message: '--kafka-sasl-oauth-client-id: got nothing, expected a client id for --kafka-sasl-oauth-token-url' })
  t.throws(() => configFrom([...base, '--kafka-sasl-oauth-token-url', 'https://idp.example/token', '--kafka-sasl-oauth-client-id', 'c'], {}, files),
    { message: 'HEALTHZ_KAFKA_SASL_OAUTH_CLIENT_SECRET: got nothing, expected a client secret (or --kafka-sasl-oauth-client-secret-file) for --kafka-sasl-oauth-token-url' })
})
