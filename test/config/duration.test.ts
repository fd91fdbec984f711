import t from 'tap'
import { formatDuration, parseDuration } from '../../src/config/duration'

t.test('parses the documented spellings', async (t) => {
  const cases: Array<[string, number]> = [['250ms', 250], ['5s', 5000], ['1.5s', 1500], ['1m', 60_000], ['2h', 7_200_000], ['750', 750], [' 3s ', 3000], ['0', 0]]
  for (const [raw, ms] of cases) t.equal(parseDuration(raw), ms, raw)
})

t.test('parses compounds as Go and Kubernetes write them (issue 17)', async (t) => {
  const cases: Array<[string, number]> = [['1h30m', 5_400_000], ['2m30s', 150_000], ['1m0.5s', 60_500], ['1h1ms', 3_600_001], ['1s500ms', 1500], ['0h0m5s', 5000]]
  for (const [raw, ms] of cases) t.equal(parseDuration(raw), ms, raw)
  for (const raw of ['30m1h', '1m1m', '1h 30m', '1h30', '30ms5s', 'h30m', '1h30x']) t.equal(parseDuration(raw), undefined, `refused: ${raw}`)
})

t.test('rejects what a person did not mean', async (t) => {
  for (const raw of ['', 's', '5 s', '-1s', '1d', '1min', '5S', 'abc', '1e3']) t.equal(parseDuration(raw), undefined, JSON.stringify(raw))
})

t.test('formats back to the shortest exact spelling', async (t) => {
  t.equal(formatDuration(250), '250ms')
  t.equal(formatDuration(5000), '5s')
  t.equal(formatDuration(1500), '1500ms')
  t.equal(formatDuration(60_000), '1m')
  t.equal(formatDuration(3_600_000), '1h')
  t.equal(formatDuration(0), '0ms')
})
