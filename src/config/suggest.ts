/** Edit distance (insertions, deletions, substitutions, and swaps of neighbours). */
function distance (a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)))
  const at = (i: number, j: number): number => d[i]?.[j] ?? Infinity
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1)
      const row = d[i]
      if (row !== undefined) row[j] = best
    }
  }
  return at(a.length, b.length)
}

/**
 * The known name a typo most likely meant, as git and kubectl suggest one: the closest within
 * a third of its length (at least 2 edits), or a name that contains it or is contained in it.
 */
export function closest (name: string, known: Iterable<string>): string | undefined {
  let best: { name: string, d: number } | undefined
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase())
    if (best === undefined || d < best.d) best = { name: k, d }
  }
  if (best === undefined) return undefined
  return best.d <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined
}
