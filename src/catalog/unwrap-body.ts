import { copyOwnInto, isJsonObject, type JsonObject, readOwn } from './read-body.js'
import { CATALOG } from './registry.js'

export type BodyFormat = 'flat' | 'data-wrapped' | 'array'

/**
 * Keys that only the entity payload has at its top level. A body with any of them is flat even if it
 * has a `data` field. (`appId` is not one: production bodies carry it next to the payload.)
 */
const PAYLOAD_KEYS: ReadonlySet<string> = new Set(
  CATALOG.map((entry) => entry.entity.idPath.split('.')[0]!).filter((key) => key !== 'appId'),
)

/**
 * The object the event's fields live in. Production bodies are flat; SaaSPlanCreate may be an array
 * (classified by its first item); GHL's Integration Guide test puts the fields in `data`, either as
 * `{type, data: {...}}` or `{data: {type, ...}}`. For the latter a shallow merged view is built, only
 * in that rare format: the fields of `data`, with top-level fields winning (as receive's
 * `ghl-envelope.ts` reads them, so the stored row and the classification agree).
 */
export function unwrapBody(body: unknown, notes: string[]): { view: JsonObject | null; format: BodyFormat } {
  if (Array.isArray(body)) {
    const first: unknown = body[0]
    if (body.length === 0) notes.push('empty array body')
    else if (!isJsonObject(first)) notes.push('array body whose first item is not an object')
    else if (body.length > 1) notes.push(`array body of ${body.length} items; classified by the first`)
    return { view: isJsonObject(first) ? first : null, format: 'array' }
  }
  if (!isJsonObject(body)) {
    notes.push(`body is ${body === null ? 'null' : typeof body}, not a JSON object`)
    return { view: null, format: 'flat' }
  }
  const inner = readOwn(body, 'data')
  if (!isJsonObject(inner) || Object.keys(body).some((key) => PAYLOAD_KEYS.has(key))) {
    return { view: body, format: 'flat' }
  }
  const merged: JsonObject = {}
  copyOwnInto(merged, inner)
  copyOwnInto(merged, body, 'data')
  notes.push('fields read from `data` (Integration Guide test format; production bodies are flat)')
  return { view: merged, format: 'data-wrapped' }
}
