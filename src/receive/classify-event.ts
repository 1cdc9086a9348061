import { classifyGhlBody } from '../catalog/index.js'
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
  /** The sender's event id, when usable as a dedupe key. */
  webhookId: string | null
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

/** GHL bodies: the catalog names the event, its entity, tenant and times, and checks the schema. */
export function classifyGhl(body: unknown, hint: string | undefined, flags: string[]): ClassifiedBody {
  const c = classifyGhlBody(body, hint === undefined ? {} : { hint })
  const webhookId = keep(c.webhookId, SENDER_ID, 'invalid_webhook_id', flags)
  if (webhookId === null) flags.push('no_webhook_id')
  if (c.schema.status === 'drift') flags.push('schema_drift')
  return {
    webhookId,
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

/** Other sources: the sender's id and (optionally) its own event type; no schema. */
export function classifyOther(
  source: SourceRuntime,
  body: unknown,
  form: boolean,
  sender: { headerId: string | undefined; verifiedId: string | undefined; signedAt: number | undefined },
  flags: string[],
): ClassifiedBody {
  let id: unknown = sender.verifiedId ?? sender.headerId
  if (id === undefined && source.idPath) id = readPath(body, source.idPath)
  if (typeof id === 'number' && Number.isFinite(id)) id = String(id)
  const webhookId = keep(typeof id === 'string' ? id : undefined, SENDER_ID, 'invalid_sender_id', flags)
  if (id !== undefined && id !== null && typeof id !== 'string') flags.push('invalid_sender_id')
  const type = source.typePath ? readPath(body, source.typePath) : undefined
  return {
    webhookId,
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

function readPath(body: unknown, path: readonly string[]): unknown {
  let node = body
  for (const key of path) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}
