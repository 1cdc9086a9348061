import type { z } from 'zod'
import type { AnyCatalogEntry, CanonicalEventName, GhlEventName } from './registry.js'

/**
 * Payload types derived from the registry's schemas, so a field added to a schema is typed
 * everywhere without a second declaration.
 */

/** Payload type per GHL doc name: `GhlEventMap['ContactCreate']['email']`. */
export type GhlEventMap = { [E in AnyCatalogEntry as E['name']]: z.infer<E['schema']> }

/** Payload type per canonical name: `CanonicalEventMap['contact.created']`. */
export type CanonicalEventMap = { [E in AnyCatalogEntry as E['canonical']]: z.infer<E['schema']> }

export type CanonicalToName = { [E in AnyCatalogEntry as E['canonical']]: E['name'] }
export type NameToCanonical = { [E in AnyCatalogEntry as E['name']]: E['canonical'] }

/** The doc name for a doc name or canonical name. */
export type NameOf<K extends GhlEventName | CanonicalEventName> = K extends GhlEventName
  ? K
  : K extends CanonicalEventName
    ? CanonicalToName[K]
    : never
