// The broker checks over SASL and TLS against a real Apache Kafka KRaft cluster, once per
// version in test/real/kafka-versions: a SASL_PLAINTEXT listener with PLAIN and SCRAM-SHA-256/512
// (SCRAM users created by StorageTool format --add-scram) and an SSL listener whose certificate a
// throwaway openssl CA signed. Right credentials pass; a wrong password or a CA that did not sign
// the broker's certificate fail readiness only, as the README promises: liveness stays 200.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { makePki } from '../helpers/tls'
import { AgentProcess, forEachKafkaVersion, RealKafkaCluster, type Tap } from '../helpers/real-kafka'

const INTERVAL = 1000
const TIMEOUT = 800
const USER = 'healthz'
const PLAIN_PASSWORD = 'plain-secret'
const SCRAM_PASSWORD = 'scram-secret'
const KEYSTORE_PASSWORD = 'keystore-secret'

forEachKafkaVersion(t, 'SASL and TLS', async (t, version) => {
  const pki = makePki()
  const otherPki = makePki()
  t.teardown(() => { for (const p of [pki, otherPki]) rmSync(p.dir, { recursive: true, force: true }) })
  const keystore = join(pki.dir, 'server.p12')
  execFileSync('openssl', ['pkcs12', '-export', '-in', join(pki.dir, 'server.pem'), '-inkey', join(pki.dir, 'server.key'),
    '-certfile', pki.caFile, '-name', 'broker', '-out', keystore, '-passout', `pass:${KEYSTORE_PASSWORD}`], { stdio: 'pipe' })

  const cluster = await RealKafkaCluster.start(version, {
    listeners: { SASL: 'SASL_PLAINTEXT', SSL: 'SSL', MTLS: 'SSL', SASLSSL: 'SASL_SSL' },
    formatArgs: ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${USER},password=${SCRAM_PASSWORD}]`]),
    brokerProps: {
      'listener.name.sasl.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
      'listener.name.sasl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${USER}="${PLAIN_PASSWORD}";`,
      'listener.name.sasl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.sasl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.ssl.ssl.keystore.location': keystore,
      'listener.name.ssl.ssl.keystore.type': 'PKCS12',
      'listener.name.ssl.ssl.keystore.password': KEYSTORE_PASSWORD,
      'listener.name.ssl.ssl.key.password': KEYSTORE_PASSWORD,
      // Mutual TLS: the broker demands a client certificate signed by the test CA (PEM truststore).
      'listener.name.mtls.ssl.keystore.location': keystore,
      'listener.name.mtls.ssl.keystore.type': 'PKCS12',
      'listener.name.mtls.ssl.keystore.password': KEYSTORE_PASSWORD,
      'listener.name.mtls.ssl.key.password': KEYSTORE_PASSWORD,
      'listener.name.mtls.ssl.truststore.type': 'PEM',
      'listener.name.mtls.ssl.truststore.location': pki.caFile,
      'listener.name.mtls.ssl.client.auth': 'required',
      // SCRAM over TLS.
      'listener.name.saslssl.sasl.enabled.mechanisms': 'SCRAM-SHA-512',
      'listener.name.saslssl.scram-sha-512.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      'listener.name.saslssl.ssl.keystore.location': keystore,
      'listener.name.saslssl.ssl.keystore.type': 'PKCS12',
      'listener.name.saslssl.ssl.keystore.password': KEYSTORE_PASSWORD,
      'listener.name.saslssl.ssl.key.password': KEYSTORE_PASSWORD,
    },
  })
  t.teardown(async () => {
    if (!t.passing()) t.comment(`Kafka logs kept in ${cluster.dir}\n${cluster.tails()}`)
    await cluster.stop(!t.passing())
  })
  const node = cluster.node(1)

  async function agentFor (t: Tap, listener: string, extra: string[], env: NodeJS.ProcessEnv = {}): Promise<AgentProcess> {
    const a = await AgentProcess.start(['--kafka-brokers', node.listeners[listener]!, '--kafka-broker-id', '1',
      '--interval', `${INTERVAL}ms`, '--timeout', `${TIMEOUT}ms`, '--failure-threshold', '1', ...extra], env)
    t.teardown(async () => {
      if (!t.passing()) t.comment(`agent on ${listener} ${extra.join(' ')}:\n${a.output.split('\n').slice(-12).join('\n')}`)
      await a.stop()
    })
    return a
  }

  const sasl = (mechanism: string, password: string): [string[], NodeJS.ProcessEnv] =>
    [['--kafka-sasl-mechanism', mechanism, '--kafka-sasl-username', USER], { HEALTHZ_KAFKA_SASL_PASSWORD: password }]

  // Found by this suite: the liveness ping used to keep an unauthenticated connection whose
  // dial had already sent ApiVersions, so its next ApiVersions came before a SaslHandshake,
  // which a real SASL listener refuses by closing the socket ("Unexpected ApiVersions request
  // received during SASL authentication state HANDSHAKE_REQUEST"): /livez 503 on every run.
  // The mock cluster never enforced that order. Each ping is now a fresh dial.
  async function eventually (a: AgentProcess, path: string, status: number, limitMs: number): Promise<{ status: number, body: string }> {
    try {
      return await a.waitStatus(path, status, limitMs)
    } catch {
      return await a.get(path)
    }
  }

  for (const [mechanism, password] of [['plain', PLAIN_PASSWORD], ['scram-sha-256', SCRAM_PASSWORD], ['scram-sha-512', SCRAM_PASSWORD]] as const) {
    t.test(`SASL ${mechanism}, right password → ready; wrong password → /readyz 503 KAFKA_AUTH, /livez 200`, async (t) => {
      // Both at debug, the most a person turns on while chasing a problem: no secret may show there.
      const [args, env] = sasl(mechanism, password)
      const right = await agentFor(t, 'SASL', [...args, '--log-level', 'debug'], env)
      const [wrongArgs, wrongEnv] = sasl(mechanism, `${password}-not`)
      const wrong = await agentFor(t, 'SASL', [...wrongArgs, '--log-level', 'debug'], wrongEnv)
      // The authenticated checks, each on its own (/readyz/<check>): SASL works end to end.
      for (const check of ['registered', 'in-sync']) {
        const ok = await right.waitStatus(`/readyz/${check}`, 200, 30_000)
        t.equal(ok.body, 'ok\n', `${check} passes over SASL ${mechanism}`)
      }
      t.match((await right.status()).checks.registered?.message, 'broker id 1 registered; 3 brokers (1,2,3)')

      const refused = await wrong.waitFor('/readyz', (r) => r.body.includes('KAFKA_AUTH'), 30_000, 'KAFKA_AUTH')
      t.equal(refused.status, 503)
      t.match(refused.body, /\[-\]registered failed: KAFKA_AUTH: /)
      t.notMatch(refused.body, `${password}-not`, 'the password never shows')

      // Liveness over a SASL listener: a refused login is the broker answering.
      const live = await eventually(right, '/livez', 200, 5000)
      t.equal(live.status, 200, `right password: /livez 200 (${live.body.trim()})`)
      t.equal((await right.get('/readyz')).status, 200, 'right password: /readyz 200')
      t.match((await right.status()).checks.advertised, { ok: true }, 'the advertised SASL address accepts a connection')
      const wrongLive = await eventually(wrong, '/livez', 200, 2000)
      t.equal(wrongLive.status, 200, `wrong password: a refused login is the broker answering, liveness holds (${wrongLive.body.trim()})`)
      t.ok(right.output.includes('"level":"debug"'), 'the agents did log at debug')
      t.notMatch(right.output, password, 'no password in the debug log (right password)')
      t.notMatch(wrong.output, password, 'no password in the debug log (wrong password)')
    })
  }

  t.test('TLS with the CA that signed the broker → ready; another CA → /readyz 503 KAFKA_TLS, /livez 200', async (t) => {
    const right = await agentFor(t, 'SSL', ['--kafka-tls-ca-file', pki.caFile])
    const wrong = await agentFor(t, 'SSL', ['--kafka-tls-ca-file', otherPki.caFile])
    const ok = await right.waitStatus('/readyz', 200, 30_000)
    t.equal(ok.body, 'ok\n')
    t.match((await right.get('/readyz?verbose')).body, /\[\+\]reachable ok\n\[\+\]registered ok\n\[\+\]in-sync ok\n/)

    const refused = await wrong.waitFor('/readyz', (r) => r.body.includes('KAFKA_TLS'), 30_000, 'KAFKA_TLS')
    t.equal(refused.status, 503)
    t.match(refused.body, /\[-\]registered failed: KAFKA_TLS: /)
    const live = await wrong.get('/livez?verbose')
    t.equal(live.status, 200, `a certificate we do not trust is the broker answering: liveness holds (${live.body.trim()})`)
  })

  t.test('mutual TLS: with the client certificate → ready; without one → /readyz 503 KAFKA_TLS, /livez 200', async (t) => {
    const right = await agentFor(t, 'MTLS', ['--kafka-tls-ca-file', pki.caFile, '--kafka-tls-cert-file', pki.clientCertFile, '--kafka-tls-key-file', pki.clientKeyFile])
    const anonymous = await agentFor(t, 'MTLS', ['--kafka-tls-ca-file', pki.caFile])
    const ok = await right.waitStatus('/readyz', 200, 30_000)
    t.equal(ok.body, 'ok\n')
    const refused = await anonymous.waitFor('/readyz', (r) => /registered failed: KAFKA_(TLS|AUTH)/.test(r.body), 30_000, 'KAFKA_TLS')
    t.equal(refused.status, 503)
    t.match(refused.body, /\[-\]registered failed: KAFKA_TLS: /, `a missing client certificate reads as a TLS refusal: ${refused.body.trim()}`)
    const live = await eventually(anonymous, '/livez', 200, 5000)
    t.equal(live.status, 200, `refused for want of a client certificate is the broker answering: liveness holds (${live.body.trim()})`)
  })

  t.test('SCRAM-SHA-512 over TLS (SASL_SSL): right password → registered; wrong → KAFKA_AUTH', async (t) => {
    const tls = ['--kafka-tls-ca-file', pki.caFile]
    const [args, env] = sasl('scram-sha-512', SCRAM_PASSWORD)
    const [, wrongEnv] = sasl('scram-sha-512', `${SCRAM_PASSWORD}-not`)
    const right = await agentFor(t, 'SASLSSL', [...tls, ...args], env)
    const wrong = await agentFor(t, 'SASLSSL', [...tls, ...args], wrongEnv)
    for (const check of ['registered', 'in-sync']) {
      t.equal((await right.waitStatus(`/readyz/${check}`, 200, 30_000)).body, 'ok\n', `${check} passes over SASL_SSL`)
    }
    const refused = await wrong.waitFor('/readyz', (r) => r.body.includes('KAFKA_AUTH'), 30_000, 'KAFKA_AUTH')
    t.match(refused.body, /\[-\]registered failed: KAFKA_AUTH: /)
    const live = await eventually(right, '/livez', 200, 5000)
    t.equal(live.status, 200, `right password: /livez 200 (${live.body.trim()})`)
  })
})
