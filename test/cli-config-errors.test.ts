// Start-up refusals as a container shows them: exit 2, one line on stderr, and never a secret
// (stderr ends up in the container logs).
import t from 'tap'
import { runCli } from './helpers/cli'

t.test('credentials in --connect-url are refused without being echoed (issue 11 #5)', async (t) => {
  const r = await runCli([], { HEALTHZ_CONNECT_URL: 'http://admin:Secret@host:8083' })
  t.equal(r.code, 2)
  t.notMatch(r.stderr, 'Secret')
  t.notMatch(r.stderr, 'admin')
  t.match(r.stderr, /^kafka-healthz: HEALTHZ_CONNECT_URL: got "http:\/\/<redacted>@host:8083", expected .*--connect-username/)
  t.equal(r.stderr.split('\n').length, 2, 'one line')
  const q = await runCli(['--connect-url', 'https://host:8083/?access_token=Secret'])
  t.equal(q.code, 2)
  t.notMatch(q.stderr, 'Secret')
})

t.test('a header the HTTP client would refuse stops the agent at start (issue 11 #4)', async (t) => {
  for (const header of ['Transfer-Encoding: chunked', 'Upgrade: h2c', 'Expect: 100-continue', 'X-Token: abc\u0007def']) {
    const r = await runCli([], { HEALTHZ_CONNECT_URL: 'http://localhost:8083', HEALTHZ_CONNECT_HEADERS: header })
    t.equal(r.code, 2, header)
    t.match(r.stderr, /^kafka-healthz: HEALTHZ_CONNECT_HEADERS: line 1: /, header)
    t.notMatch(r.stderr, /chunked|h2c|100-continue|abc/, 'the value is not echoed')
  }
})
