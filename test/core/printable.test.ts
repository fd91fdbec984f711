import t from 'tap'
import { printable } from '../../src/core/printable'

t.test('printable: one line stays one line, and shows what was there', async (t) => {
  t.equal(printable('plain text: café, 日本, C:\\path'), 'plain text: café, 日本, C:\\path', 'nothing to escape: the same string')
  t.equal(printable('a\nb\rc\td'), 'a\\nb\\rc\\td')
  t.equal(printable('\u001b[31mred\u001b[0m'), '\\u001b[31mred\\u001b[0m')
  t.equal(printable('x\u0000\u007f\u0085\u009b'), 'x\\u0000\\u007f\\u0085\\u009b', 'NUL, DEL and C1 controls')
  t.equal(printable('a\u2028b\u2029c'), 'a\\u2028b\\u2029c', 'Unicode line and paragraph separators')
  t.equal(printable('admin\u202e\u2066txt.exe'), 'admin\\u202e\\u2066txt.exe', 'bidirectional overrides and isolates')
  t.equal(printable('\n\n'), '\\n\\n', 'twice in a row (a global regex keeps its state)')
  t.equal(printable('ok'), 'ok')
})
