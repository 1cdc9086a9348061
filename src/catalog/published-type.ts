import type { TypeMapper } from './rename.js'

/** The stored columns the published type is made of. */
export interface TypedEvent {
  source: string
  /** The canonical name for GHL (`unknown` included), a source's own type, or null. */
  eventType: string | null
  /** GHL's doc name (or `unknown`); null for other sources. */
  eventName: string | null
}

/**
 * The event type every consumer sees: the envelope's `type`, the `x-gateway-event-type` header, the
 * admin API's and the live stream's `type`, what subscriber patterns and destination filters match.
 * - GHL events: the canonical name after this gateway's renames (`contact.created`, `unknown`);
 * - another source's event: its own type, as the body gave it;
 * - an event with no type (a source without `typeField`, or a body without one): `<source>.event`.
 *
 * Always a string, so the field has one JSON type wherever it appears: the envelope (handlers,
 * destination payloads, templates) and the header have always said `<source>.event`, and a
 * handler's `event.type.startsWith(…)` must not meet a null.
 */
export function publishedType(event: TypedEvent, types: TypeMapper): string {
  if (event.eventType === null) return `${event.source}.event`
  return event.eventName !== null ? types.toType(event.eventType) : event.eventType
}

/**
 * The stored types a published type stands for, to filter events by: the canonical names renamed
 * to it (renames may merge several), else the type as written (another source's own type, or a
 * canonical name). Untyped events store no type, so `<source>.event` finds none of them.
 */
export function storedTypesOf(type: string, types: TypeMapper): readonly string[] {
  const canonical = types.toCanonical(type)
  return canonical.length ? canonical : [type]
}
