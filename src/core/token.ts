import { timingSafeEqual } from 'node:crypto'

/** Compares in constant time, so the answer's timing says nothing about the token (each target's /prestop). */
export function sameToken (given: string | undefined, expected: string): boolean {
  const a = Buffer.from(given ?? '')
  const b = Buffer.from(expected)
  return a.length === b.length && timingSafeEqual(a, b)
}
