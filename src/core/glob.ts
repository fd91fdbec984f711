/**
 * `*` (any run of characters, "/" included: connector names are not paths) and `?` (one
 * character); everything else is literal. Small on purpose: connector selectors need no more.
 */
export function globToRegExp (glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`)
}

/** The complement of an exclusion list: what is not excluded; an empty list excludes nothing. */
export function notExcluded (globs: readonly string[]): (name: string) => boolean {
  if (globs.length === 0) return () => true
  const excluded = selector(globs)
  return (name) => !excluded(name)
}

/** A matcher for a selector list; an empty list selects everything. */
export function selector (globs: readonly string[]): (name: string) => boolean {
  if (globs.length === 0) return () => true
  const res = globs.map(globToRegExp)
  return (name) => res.some((re) => re.test(name))
}
