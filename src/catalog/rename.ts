import { didYouMean } from '../did-you-mean.js'
import { CANONICAL_EVENT_NAMES, isCanonicalEventName } from './registry.js'

/**
 * Per-gateway renames of canonical event names, e.g. `{ 'contact.created': 'myapp.contact.ingested' }`,
 * so subscriptions and destinations see the names a team already uses. Validated once at boot:
 * a misspelt key would otherwise silently never apply.
 */
export interface TypeMapper {
  /** The event type to publish for a canonical name (the canonical name itself when not renamed). */
  toType(canonical: string): string
  /** Canonical names published under `type` (several when renames merge events). */
  toCanonical(type: string): readonly string[]
  readonly renames: Readonly<Record<string, string>>
}

/** Letters, digits and `._:-/`, 1–128 chars: safe in URLs, headers, logs and SQL LIKE filters. */
const TYPE_PATTERN = /^[A-Za-z0-9._:/-]{1,128}$/

/**
 * Validates the renames and returns the mapper. Throws with a sentence that says what to fix when a
 * key is not a canonical name (with the nearest names), a value is not a usable type, or a value would
 * make a renamed event look like another catalog event. Several keys may share one value (merging,
 * e.g. created + updated → `myapp.contact.upserted`). `unknown` may be renamed too.
 */
export function createTypeMapper(renames: Readonly<Record<string, string>> = {}): TypeMapper {
  const forward = new Map<string, string>()
  for (const [canonical, type] of Object.entries(renames)) {
    if (canonical !== 'unknown' && !isCanonicalEventName(canonical)) {
      const near = didYouMean(canonical, CANONICAL_EVENT_NAMES)
      throw new Error(
        `Event rename: "${canonical}" is not a canonical GHL event name` +
          (near ? `; ${near}` : '.') +
          ' The names are listed in docs/events.md.',
      )
    }
    if (typeof type !== 'string' || !TYPE_PATTERN.test(type)) {
      throw new Error(
        `Event rename: the new name for "${canonical}" must be 1–128 characters of letters, digits and ._:-/ ` +
          `(got ${JSON.stringify(type)}).`,
      )
    }
    if (type !== canonical && (isCanonicalEventName(type) || type === 'unknown')) {
      throw new Error(
        `Event rename: "${canonical}" → "${type}" would publish it under another event's canonical name; ` +
          'choose a name outside the catalog (e.g. with your app prefix).',
      )
    }
    forward.set(canonical, type)
  }
  const reverse = new Map<string, string[]>()
  for (const canonical of [...CANONICAL_EVENT_NAMES, 'unknown']) {
    const type = forward.get(canonical) ?? canonical
    const list = reverse.get(type)
    if (list) list.push(canonical)
    else reverse.set(type, [canonical])
  }
  const frozen = Object.freeze(Object.fromEntries(forward))
  return {
    toType: (canonical) => forward.get(canonical) ?? canonical,
    toCanonical: (type) => reverse.get(type) ?? [],
    renames: frozen,
  }
}
