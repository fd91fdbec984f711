// SASL OAUTHBEARER against a real Apache Kafka listener, once per version in
// test/real/kafka-versions (issue 17, item 5). The broker validates unsecured JWS tokens (its
// default OAUTHBEARER server callback), so the test mints them itself: from a token file that is
// rotated in place, and from a local OIDC token endpoint (client-credentials grant).
import t from 'tap'
import { createServer } from 'node:http'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { AgentProcess, forEachKafkaVersion, RealKafkaCluster, type Tap } from '../helpers/real-kafka'

const INTERVAL = 1000
const TIMEOUT = 800

/** An unsecured JWS (alg none) for `sub`, valid from now for `lifeSeconds` (negative: already expired). */
function token (sub: string, lifeSeconds: number): string {
  const b64 = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url')
  const now = Math.floor(Date.now() / 1000)
  return `${b64({ alg: 'none' })}.${b64({ sub, iat: now - 60, exp: now + lifeSeconds })}.`
}

forEachKafkaVersion(t, 'SASL OAUTHBEARER', async (t, version) => {
  const cluster = await RealKafkaCluster.start(version, {
    listeners: { OAUTH: 'SASL_PLAINTEXT' },
    brokerProps: {
      'listener.name.oauth.sasl.enabled.mechanisms': 'OAUTHBEARER',
      'listener.name.oauth.oauthbearer.sasl.jaas.config': 'org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule required unsecuredLoginStringClaim_sub="broker";',
    },
  })
  t.teardown(async () => {
    if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
    await cluster.stop(!t.passing())
  })
  const address = cluster.node(1).listeners.OAUTH ?? ''
  const dir = mkdtempSync(join(tmpdir(), 'healthz-oauth-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })

  async function agentFor (t: Tap, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
    const a = await AgentProcess.start(['--kafka-brokers', address, '--kafka-broker-id', '1', '--kafka-sasl-mechanism', 'oauthbearer',
      '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1', ...extra], env)
    t.teardown(async () => {
      if (!t.passing()) t.comment(`agent ${extra.join(' ')}:\n${a.output.split('\n').slice(-12).join('\n')}`)
      await a.stop()
    })
    return a
  }

  t.test('a token file: ready; an expired token fails readiness only; rotated in place, ready again', async (t) => {
    const file = join(dir, 'token')
    writeFileSync(file, token('healthz', 3600))
    const a = await agentFor(t, ['--kafka-sasl-oauth-token-file', file])
    await a.waitStatus('/readyz', 200, 20_000)
    t.match((await a.status()).checks.registered, { ok: true }, 'registered over OAUTHBEARER')

    // A fresh agent with an expired token: the broker refuses it.
    const expiredFile = join(dir, 'expired')
    writeFileSync(expiredFile, token('healthz', -600))
    const b = await agentFor(t, ['--kafka-sasl-oauth-token-file', expiredFile])
    const refused = await b.waitFor('/readyz?verbose', (r) => r.body.includes('KAFKA_AUTH'), 20_000, 'KAFKA_AUTH')
    t.equal(refused.status, 503)
    // kafkajs's own authenticator took the broker's KIP-255 error challenge for success, and the
    // checks then read "not in the cluster metadata (brokers: none)" or "Closed connection".
    t.match(refused.body, /registered failed: KAFKA_AUTH: broker [\d.:]+: SASL OAUTHBEARER authentication failed: the broker refused the token \(invalid_token\)/)
    t.equal((await b.get('/livez')).status, 200, 'a refused token is the broker answering: liveness holds')
    t.notMatch(b.output, token('healthz', -600).split('.')[1] ?? 'x', 'the token never shows in the logs')
    // The file is rewritten with a good token (as a refreshing sidecar does): the next dial reads it.
    writeFileSync(expiredFile, token('healthz', 3600))
    const back = await b.waitStatus('/readyz', 200, 10 * INTERVAL)
    t.pass(`ready again ${back.after} ms after the token file was rewritten, same agent`)
  })

  t.test('an OIDC client-credentials endpoint issues the token', async (t) => {
    let asked = 0
    const idp = createServer((req, res) => {
      asked++
      const ok = req.headers.authorization === `Basic ${Buffer.from('healthz:idp-secret').toString('base64')}`
      res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' })
      res.end(JSON.stringify(ok ? { access_token: token('healthz', 3600), token_type: 'Bearer', expires_in: 3600 } : { error: 'invalid_client' }))
    })
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve))
    t.teardown(() => { idp.close() })
    const url = `http://127.0.0.1:${(idp.address() as { port: number }).port}/token`
    const a = await agentFor(t, ['--kafka-sasl-oauth-token-url', url, '--kafka-sasl-oauth-client-id', 'healthz'], { HEALTHZ_KAFKA_SASL_OAUTH_CLIENT_SECRET: 'idp-secret' })
    await a.waitStatus('/readyz', 200, 20_000)
    t.ok(asked >= 1 && asked <= 3, `the endpoint was asked ${asked} time(s), not once per connection per run`)
    const wrong = await agentFor(t, ['--kafka-sasl-oauth-token-url', url, '--kafka-sasl-oauth-client-id', 'healthz'], { HEALTHZ_KAFKA_SASL_OAUTH_CLIENT_SECRET: 'nope' })
    const refused = await wrong.waitFor('/readyz?verbose', (r) => r.body.includes('KAFKA_AUTH'), 20_000, 'KAFKA_AUTH')
    t.match(refused.body, 'answered HTTP 401: invalid_client')
    t.equal((await wrong.get('/livez')).status, 200)
    t.notMatch(wrong.output, 'nope', 'the client secret never shows')
  })
})
