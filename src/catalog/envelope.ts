import type { CanonicalEventName, GhlEventName } from './registry.js'
import type { Tenant } from './tenant.js'
import type { GhlEventMap, NameOf } from './types.js'

/**
 * The canonical event envelope: what dispatch, handlers, destinations, the admin API and the UI see
 * for every GHL event. Classification metadata sits beside the body; the body itself (`data`) is the
 * ORIGINAL bytes' JSON, never re-shaped, so a destination receives exactly what GHL sent.
 * Built from a stored event by `envelopeOf` (deliver/envelope.ts).
 */
export interface GhlEnvelope<N extends GhlEventName | 'unknown' = GhlEventName | 'unknown'> {
  /** Our event id (`evt_…`), assigned when the body was stored. */
  id: string
  /** The configured source the body arrived on. */
  source: string
  /**
   * The published type (`publishedType`): the canonical name after this gateway's renames
   * (`contact.created`, `myapp.contact.ingested`), another source's own type, or `<source>.event`.
   */
  type: string
  /** The raw body `type` (`INSTALL`, `one_time`, …); null when the body has none. */
  ghlType: string | null
  /** GHL's doc name, or `unknown`. Narrow on it: `if (e.name === 'ContactCreate') e.data.email`. */
  name: N
  tenant: Tenant
  entity: { kind: string; id: string | null }
  /** When it happened (ISO-8601 UTC), from the body; null when the body says nothing usable. */
  occurredAt: string | null
  /** When the gateway stored it (ISO-8601 UTC). */
  receivedAt: string
  /**
   * GHL's id of the event, or null when the body has none. The gateway also gives null for an array
   * body of several items: each item carries its own `webhookId` in `data`.
   */
  webhookId: string | null
  /**
   * The original body. Typed by the event's lenient schema: every field may be missing or null.
   * Two caveats: SaaSPlanCreate may be an array, and in the Integration Guide's test format
   * (`format: 'data-wrapped'`, never sent in production) the fields sit under `data`.
   */
  data: N extends GhlEventName ? GhlEventMap[N] : unknown
}

/** The envelope of one known event, with typed `data`. */
export type GhlEvent<N extends GhlEventName> = GhlEnvelope<N>

/** A body the catalog could not name; `data` is `unknown`. */
export type UnknownGhlEvent = GhlEnvelope<'unknown'>

/** Any envelope: a union discriminated by `name`. */
export type AnyGhlEvent = { [N in GhlEventName]: GhlEvent<N> }[GhlEventName] | UnknownGhlEvent

/** The envelope for a doc name or canonical name: `EventFor<'opportunity.stage_changed'>`. */
export type EventFor<K extends GhlEventName | CanonicalEventName> = GhlEvent<NameOf<K>>
