/**
 * Characters that can make one line of text look like several, or reorder what a person sees:
 * C0 and C1 controls (newline, carriage return, escape sequences), DEL, Unicode's line and
 * paragraph separators, and the bidirectional overrides and isolates ("Trojan Source").
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

/**
 * A peer's string (a connector name, a worker's error message, a stack trace's first line) made
 * safe for a plain-text line a person or a script reads: each character above becomes a visible
 * escape (\n, \u001b), so a connector named "x\n[+]connectors ok" cannot forge a probe line.
 * JSON bodies and JSON logs need none of this: JSON escapes them itself.
 */
export function printable (text: string): string {
  UNPRINTABLE.lastIndex = 0
  if (!UNPRINTABLE.test(text)) return text
  return text.replace(UNPRINTABLE, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
