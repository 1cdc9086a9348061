import { didYouMean } from '../did-you-mean.js'
import {
  CANONICAL_EVENT_NAMES,
  type CanonicalEventName,
  GATEWAY_EVENT_TYPES,
  GATEWAY_SOURCE,
  GHL_EVENT_NAMES,
  type GhlEventName,
  type TypeMapper,
} from './index.js'

/**
 * Catches misspelt event patterns before they silently match nothing: `ContactCreat`,
 * `contact.creatd`, `contacts.*`. A pattern is known when it can match a GHL event (see
 * `eventMatcher`): `*`, a GHL doc name, a canonical name, a published type (renames applied, and
 * `unknown`), or `<prefix>.*` where some such type starts with `<prefix>.`, or an operational event's type
 * (`gateway.delivery.dead_lettered`, gateway-events.ts) or its prefix. Anything else may be
 * another source's own type, which no one can list — so only a pattern that is unknown AND within a
 * few edits of a known one is refused, with the nearest names. A subscriber limited to sources that
 * include neither `ghl` nor `gateway` is not checked: its types are the senders' own.
 *
 * Used for handlers (`gw.on`, at listen), config-file destinations (at boot) and admin-API
 * destinations (400), so all three refuse the same typo with the same sentence.
 */

export interface PatternProblem {
  /** Position in the subscriber's `events`. */
  index: number
  pattern: string
  message: string
}

interface Known {
  exact: ReadonlySet<string>
  wildcards: ReadonlySet<string>
  candidates: readonly string[]
}

const knownByMapper = new WeakMap<TypeMapper, Known>()

function knownFor(types: TypeMapper): Known {
  let known = knownByMapper.get(types)
  if (known) return known
  const typeNames = new Set<string>(['unknown', ...CANONICAL_EVENT_NAMES])
  for (const canonical of [...typeNames]) typeNames.add(types.toType(canonical))
  // Operational events are never renamed.
  for (const type of GATEWAY_EVENT_TYPES) typeNames.add(type)
  const wildcards = new Set<string>()
  for (const type of typeNames) {
    const parts = type.split('.')
    for (let n = 1; n < parts.length; n++) wildcards.add(`${parts.slice(0, n).join('.')}.*`)
  }
  const exact = new Set<string>(['*', ...GHL_EVENT_NAMES, ...typeNames])
  known = { exact, wildcards, candidates: [...exact, ...wildcards] }
  knownByMapper.set(types, known)
  return known
}

/** The patterns of one subscriber that look like misspelt event names, each with a sentence. */
export function misspeltPatterns(
  subscriber: { events: readonly string[]; sources?: readonly string[] },
  types: TypeMapper,
): PatternProblem[] {
  const checked = ['ghl', GATEWAY_SOURCE]
  if (subscriber.sources && !subscriber.sources.some((source) => checked.includes(source))) return []
  const known = knownFor(types)
  const problems: PatternProblem[] = []
  subscriber.events.forEach((pattern, index) => {
    if (known.exact.has(pattern) || known.wildcards.has(pattern)) return
    const near = didYouMean(pattern, known.candidates)
    if (near === undefined) return
    problems.push({
      index,
      pattern,
      message:
        `"${pattern}" matches no event; ${near} ` +
        "(another source's own type is accepted when the subscriber's sources leave out ghl)",
    })
  })
  return problems
}

/**
 * The type-level half of the rule, for `gw.on(pattern)`: a GHL doc name, a canonical name, or any
 * pattern that holds a `.` or `:` or does not start with a capital letter (wildcards, `*`,
 * `unknown`, renamed types, other sources' types). A capitalised word that is not a doc name
 * (`ContactCreat`) can only be a misspelt one, so it does not compile; another source's capitalised
 * type compiles when the handler names its `sources`. A `string` that is not a literal compiles and
 * is checked at `listen()` like every pattern.
 */
export type EventPattern<P extends string> = P extends GhlEventName | CanonicalEventName
  ? P
  : P extends `${string}.${string}` | `${string}:${string}`
    ? P
    : Uncapitalize<P> extends P
      ? P
      : GhlEventName
