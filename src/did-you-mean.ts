/**
 * "Did you mean …?" for every name a person types: config keys, event names and patterns, renames,
 * environment variables, CLI arguments. One rule everywhere, so the same typo gets the same answer
 * from the config file, `gw.on()`, the admin API and the CLI.
 *
 * Distance is the optimal string alignment distance (Levenshtein plus adjacent transpositions, the
 * commonest typing slip: `craeted`), measured without regard to case. A candidate is offered when
 * it is within max(2, ⌊length / 4⌋) edits of the input: `ContactCreat` (12 characters, 3 edits)
 * finds `ContactCreate`, and a short word does not drag in every other short word.
 */

/** The candidates closest to `input` (ties kept, at most three), or none when nothing is close. */
export function nearestNames(input: string, candidates: Iterable<string>): string[] {
  const limit = Math.max(2, Math.floor(input.length / 4))
  const lower = input.toLowerCase()
  let best = Number.POSITIVE_INFINITY
  let found: string[] = []
  for (const candidate of new Set(candidates)) {
    if (candidate === input) continue
    const distance = editDistance(lower, candidate.toLowerCase(), Math.min(limit, best))
    if (distance > limit || distance > best) continue
    if (distance < best) {
      best = distance
      found = []
    }
    found.push(candidate)
  }
  return found.slice(0, 3)
}

/** `did you mean "a" or "b"?`, or undefined when nothing is close. */
export function didYouMean(input: string, candidates: Iterable<string>): string | undefined {
  const near = nearestNames(input, candidates)
  return near.length ? `did you mean ${near.map((name) => `"${name}"`).join(' or ')}?` : undefined
}

/**
 * Optimal string alignment distance; returns `max + 1` as soon as the answer must exceed `max`
 * (each candidate costs a row or two instead of the whole table).
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1
  let before: number[] = []
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    let rowMin = i
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let value = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        value = Math.min(value, before[j - 2]! + 1)
      }
      current[j] = value
      rowMin = Math.min(rowMin, value)
    }
    if (rowMin > max) return max + 1
    before = previous
    previous = current
  }
  return previous[b.length]!
}
