import type { EventCategory } from './define-event.js'
import { isJsonObject, type JsonObject, readOwn } from './read-body.js'

/**
 * Shape sniffing for bodies that no `type` (and no URL hint) identifies: 22 events are documented
 * without a `type`, and PriceUpdate/PriceDelete share a price-kind `type`. A shape can name the
 * FAMILY (invoice, product, record, …) but, within a family, not Create vs Update vs Delete: their
 * payloads are identical. Only `SHAPE_NAMES_EVENT` families name one event.
 *
 * Each test looks for fields that only that family has (REFERENCE.md (d) trap 3), cheapest first.
 */
const FAMILY_TESTS: readonly (readonly [EventCategory, (body: JsonObject) => boolean])[] = [
  ['appointment', (b) => isJsonObject(readOwn(b, 'appointment'))],
  ['email-stats', (b) => isJsonObject(readOwn(b, 'webhookPayload'))],
  [
    'voice-ai',
    (b) => Array.isArray(readOwn(b, 'executedCallActions')) || (has(b, 'agentId') && has(b, 'transcript')),
  ],
  ['relation', (b) => has(b, 'firstRecordId') && has(b, 'secondRecordId')],
  [
    'association',
    (b) => has(b, 'associationType') || (has(b, 'firstObjectLabel') && has(b, 'secondObjectLabel')),
  ],
  ['object-schema', (b) => has(b, 'primaryDisplayProperty') || has(b, 'searchableProperties')],
  ['record', (b) => Array.isArray(readOwn(b, 'properties')) && (has(b, 'owners') || has(b, 'followers'))],
  ['invoice', (b) => has(b, '_id') && (has(b, 'invoiceNumber') || has(b, 'invoiceItems'))],
  [
    'order',
    (b) => has(b, '_id') && has(b, 'items') && (has(b, 'fulfillmentStatus') || has(b, 'contactSnapshot')),
  ],
  [
    'price',
    (b) =>
      has(b, '_id') &&
      typeof readOwn(b, 'product') === 'string' &&
      (has(b, 'priceType') || has(b, 'amount') || has(b, 'currency')),
  ],
  [
    'product',
    (b) => has(b, '_id') && (has(b, 'productType') || has(b, 'availableInStore') || has(b, 'medias')),
  ],
]

function has(body: JsonObject, key: string): boolean {
  const value = readOwn(body, key)
  return value !== undefined && value !== null
}

/** The event family a body's shape points to, or null. */
export function detectFamily(body: JsonObject): EventCategory | null {
  for (const [family, test] of FAMILY_TESTS) if (test(body)) return family
  return null
}

/**
 * The only shapes that name a single event, used when a body has NO `type` at all:
 * - voice-ai: VoiceAiCallEnd is the family's only event;
 * - price with `priceType`: PriceCreate sends the kind as `priceType`, while PriceUpdate/PriceDelete
 *   send it as `type` (documented difference, not a guess about Create vs Update).
 * A body WITH an unrecognised `type` is never named by shape: it may be a new event of the family.
 */
export function eventNamedByShape(family: EventCategory | null, body: JsonObject): string | null {
  if (family === 'voice-ai') return 'VoiceAiCallEnd'
  if (family === 'price' && has(body, 'priceType')) return 'PriceCreate'
  return null
}
