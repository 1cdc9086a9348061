import { createHash } from 'node:crypto'
import { classifyGhlBody, ghlWebhookId, readPath } from '../catalog/index.js'
import type { EventClassification } from '../store/types.js'
import type { SourceRuntime } from './sources.js'

/**
 * Turns a parsed body into the classification columns of its event row, on the request path
 * (the GHL catalog costs about 2 µs per body). Values that become index keys are checked here:
 * a body may be signed and still carry a 10 kB "id" or control characters, which must neither
 * fail the insert nor bloat an index. Such values are dropped and the event is flagged.
 */

/** Sender ids used as dedupe keys: printable ASCII without spaces, at most 255 characters. */
const SENDER_ID = /^[\x21-\x7e]{1,255}$/
/** Other indexed text (types, tenant and entity ids): no control characters, at most 255 characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
const INDEXABLE = /^[^\x00-\x1f\x7f]{1,255}$/

export interface ClassifiedBody {
  fields: EventClassification
  /** The sender's id of this request, when it has exactly one usable id (not an array of several). */
  webhookId: string | null
  /** The dedupe key the sender's ids give; null when they give none (then: a hash of the body). */
  dedupeKey: string | null
}

function keep(
  value: string | null | undefined,
  pattern: RegExp,
  flag: string,
  flags: string[],
): string | null {
  if (value === null || value === undefined || value === '') return null
  if (pattern.test(value)) return value
  flags.push(flag)
  return null
}

/**
 * The dedupe identity of a request from its sender ids: one per event the body carries (one for an
 * object, one per item of an array). An array body is one request and one stored event, so its key
 * must cover every item: keyed by its first item alone, `[A, C]` arriving after `[A, B]` would be
 * answered `duplicate` and C lost. Several ids make `items:sha256:<hash of the ids, in order>`; a
 * retry carries the same ids, so it is still a duplicate even if other bytes (a new `timestamp`)
 * changed. When any item has no usable id, there is no sender key: the body's hash decides.
 */
function senderKey(
  ids: readonly unknown[],
  invalidFlag: string,
  flags: string[],
): { webhookId: string | null; dedupeKey: string | null } {
  const usable: string[] = []
  let invalid = false
  for (const raw of ids) {
    const id = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw
    if (typeof id === 'string' && id !== '' && SENDER_ID.test(id)) usable.push(id)
    else if (id !== undefined && id !== null && id !== '') invalid = true
  }
  if (invalid) flags.push(invalidFlag)
  if (usable.length === 0 || usable.length < ids.length) return { webhookId: null, dedupeKey: null }
  if (usable.length === 1) return { webhookId: usable[0]!, dedupeKey: usable[0]! }
  const hash = createHash('sha256')
  for (const id of usable) hash.update(id).update('\n')
  return { webhookId: null, dedupeKey: `items:sha256:${hash.digest('hex')}` }
}

/** The body's hash as stored (`sha256:<hex>`): the dedupe key when the sender gives no id. */
export function contentHashOf(raw: Buffer): string {
  return `sha256:${createHash('sha256').update(raw).digest('hex')}`
}

/** The events a body carries: the items of an array, else the body itself. */
function itemsOf(body: unknown): readonly unknown[] {
  return Array.isArray(body) ? body : [body]
}

/** GHL bodies: the catalog names the event, its entity, tenant and times, and checks the schema. */
export function classifyGhl(body: unknown, hint: string | undefined, flags: string[]): ClassifiedBody {
  const c = classifyGhlBody(body, hint === undefined ? {} : { hint })
  // The catalog reads the first item of an array; dedupe needs every item's id.
  const ids = Array.isArray(body) && body.length > 1 ? body.map(ghlWebhookId) : [c.webhookId]
  const { webhookId, dedupeKey } = senderKey(ids, 'invalid_webhook_id', flags)
  if (dedupeKey === null) flags.push('no_webhook_id')
  if (c.schema.status === 'drift') flags.push('schema_drift')
  return {
    webhookId,
    dedupeKey,
    fields: {
      ghlType: keep(c.ghlType, INDEXABLE, 'invalid_type', flags),
      eventName: c.name,
      eventType: c.canonical,
      entityKind: c.entity.kind,
      entityId: keep(c.entity.id, INDEXABLE, 'invalid_entity_id', flags),
      locationId: keep(c.tenant.locationId, INDEXABLE, 'invalid_location_id', flags),
      companyId: keep(c.tenant.companyId, INDEXABLE, 'invalid_company_id', flags),
      sentAt: c.sentAt,
      occurredAt: c.occurredAt,
      bodyFormat: c.format,
      schemaStatus: c.schema.status,
      classification: { matchedBy: c.matchedBy, family: c.family, issues: c.schema.issues, notes: c.notes },
    },
  }
}

/**
 * Other sources: the sender's id and (optionally) its own event type; no schema. An id from a
 * header (or the signature scheme) names the whole request; an `idField` is read from the body, or
 * from each item of an array body (see `senderKey`).
 */
export function classifyOther(
  source: SourceRuntime,
  body: unknown,
  form: boolean,
  sender: { headerId: string | undefined; verifiedId: string | undefined; signedAt: number | undefined },
  flags: string[],
): ClassifiedBody {
  const requestId = sender.verifiedId ?? sender.headerId
  const idPath = source.idPath
  const ids =
    requestId !== undefined || idPath === undefined
      ? [requestId]
      : itemsOf(body).map((item) => readPath(item, idPath))
  const { webhookId, dedupeKey } = senderKey(ids, 'invalid_sender_id', flags)
  const type = source.typePath ? readPath(body, source.typePath) : undefined
  return {
    webhookId,
    dedupeKey,
    fields: {
      ghlType: null,
      eventName: null,
      eventType: keep(typeof type === 'string' ? type : undefined, INDEXABLE, 'invalid_type', flags),
      entityKind: null,
      entityId: null,
      locationId: null,
      companyId: null,
      sentAt: sender.signedAt === undefined ? null : new Date(sender.signedAt).toISOString(),
      occurredAt: null,
      bodyFormat: form ? 'form' : Array.isArray(body) ? 'array' : 'flat',
      schemaStatus: null,
      classification: null,
    },
  }
}
