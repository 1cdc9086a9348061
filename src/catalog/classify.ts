import type { z } from 'zod'
import type { EventCategory } from './define-event.js'
import { detectFamily, eventNamedByShape } from './detect-family.js'
import {
  isJsonObject,
  type JsonObject,
  pathSegments,
  readOwn,
  readPath,
  readPathString,
  readString,
  toIsoTime,
} from './read-body.js'
import {
  type AnyCatalogEntry,
  byCanonical,
  byName,
  type CanonicalEventName,
  entriesForType,
  entriesInCategory,
  type GhlEventName,
} from './registry.js'
import { resolveTenant, type Tenant, tenantRuleNote } from './tenant.js'
import { type BodyFormat, unwrapBody } from './unwrap-body.js'

/**
 * Names a stored GHL body: which event it is, its entity, tenant and time, and whether it still
 * matches the documented schema. Runs once per stored event, after the ack, so it must be cheap
 * (one Map lookup, one safeParse, no deep copies) and must never throw: the body is untrusted and
 * already stored; a classifier crash must not block delivery.
 *
 * Matching order (REFERENCE.md (d) routing traps):
 * 1. The body `type`, exact and case-sensitive, through the catalog's explicit map (INSTALL →
 *    AppInstall, SaasPlanCreate → SaaSPlanCreate, SMS/Email → ProviderOutboundMessage, …). A type
 *    that names one event wins, even over a contradicting URL hint (noted).
 * 2. The URL hint (`/webhooks/ghl/InvoicePaid`), when the type names no single event: no type
 *    (Invoice*, Product*, …), a price kind (`one_time` on PriceUpdate/PriceDelete), or a type we do
 *    not know (Record* may carry the record type).
 * 3. A body whose `type` equals the doc name of an event documented WITHOUT a type (in case GHL
 *    starts sending one).
 * 4. The shape, only when the body has no `type` and the shape names one event (VoiceAiCallEnd,
 *    PriceCreate). Otherwise the family is noted ("looks like an invoice event") and the name is
 *    `unknown`: guessing Create vs Delete would be worse than asking for a per-event URL.
 */

export type { BodyFormat }
export type MatchedBy = 'type' | 'hint' | 'shape' | 'none'
export type SchemaStatus = 'valid' | 'drift' | 'unknown'

export interface SchemaIssue {
  /** Dotted path into the (unwrapped) body, e.g. `tags`, `appointment.id`, `0.planId`; '' = the body. */
  path: string
  message: string
}

export interface Classification {
  name: GhlEventName | 'unknown'
  canonical: CanonicalEventName | 'unknown'
  /** The raw body `type`, whatever it is; null when absent or not a string. */
  ghlType: string | null
  /** The event's category; for unknown bodies the family the shape points to, if any. */
  family: EventCategory | null
  entity: { kind: string; id: string | null }
  tenant: Tenant
  /** When it happened (ISO-8601 UTC): body `timestamp`, else the event's own date fields. */
  occurredAt: string | null
  /** The envelope `timestamp` GHL signs into the body (ISO-8601 UTC): when it was sent. */
  sentAt: string | null
  /** GHL's id of the event; for an array body, the first item's (every item carries its own). */
  webhookId: string | null
  /** `data-wrapped` is the Integration Guide's test format; `array` is SaaSPlanCreate's bulk body. */
  format: BodyFormat
  matchedBy: MatchedBy
  /** `drift`: identified, but the body no longer matches the documented schema (still delivered). */
  schema: { status: SchemaStatus; issues: SchemaIssue[] }
  /** Sentences for humans: hint conflicts, detected family, missing tenant, unwrapping. */
  notes: string[]
}

export interface ClassifyOptions {
  /** Event doc name (or canonical name) from a per-event URL such as `/webhooks/ghl/InvoiceCreate`. */
  hint?: string
}

/** Enough issues to see what drifted; a junk body must not allocate thousands. */
const MAX_ISSUES = 20
const UNKNOWN_TIME_PATHS = ['timestamp', 'dateUpdated', 'updatedAt'] as const
const UNKNOWN_ID_PATHS = ['id', '_id'] as const

export function classifyGhlBody(body: unknown, options: ClassifyOptions = {}): Classification {
  try {
    return classify(body, options)
  } catch (error) {
    // Defence in depth (e.g. a hostile Proxy); JSON bodies never get here.
    return unknownResult('flat', null, [
      `classifier failed: ${error instanceof Error ? error.message : 'error'}`,
    ])
  }
}

function classify(body: unknown, options: ClassifyOptions): Classification {
  const notes: string[] = []
  const { view, format } = unwrapBody(body, notes)
  if (view === null) return unknownResult(format, null, notes)

  const rawType = readOwn(view, 'type')
  const ghlType = typeof rawType === 'string' ? rawType : null
  if (rawType !== undefined && rawType !== null && ghlType === null) notes.push('`type` is not a string')
  const hinted = options.hint === undefined ? undefined : resolveHint(options.hint, notes)
  const match = matchEvent(view, ghlType, hinted, notes)

  const tenant = resolveTenant(view)
  const webhookId = ghlWebhookId(view)
  const sentAt = toIsoTime(readOwn(view, 'timestamp'))
  const entry = match.entry
  if (entry === null) {
    const familyEntity = match.family ? entriesInCategory(match.family)[0]?.entity : undefined
    const idPaths = familyEntity ? [familyEntity.idPath, ...UNKNOWN_ID_PATHS] : UNKNOWN_ID_PATHS
    return {
      ...unknownResult(format, ghlType, notes),
      family: match.family,
      entity: { kind: familyEntity?.kind ?? 'unknown', id: firstString(view, idPaths) },
      tenant,
      occurredAt: firstTime(view, UNKNOWN_TIME_PATHS),
      sentAt,
      webhookId,
    }
  }

  const tenantNote = tenantRuleNote(entry.tenant, tenant)
  if (tenantNote) notes.push(tenantNote)
  const issues = validate(entry, body, view, format)
  return {
    name: entry.name,
    canonical: entry.canonical,
    ghlType,
    family: entry.category,
    entity: { kind: entry.entity.kind, id: readPathString(view, pathSegments(entry.entity.idPath)) ?? null },
    tenant,
    occurredAt: firstTime(view, entry.occurredAtPaths),
    sentAt,
    webhookId,
    format,
    matchedBy: match.matchedBy,
    schema: { status: issues.length === 0 ? 'valid' : 'drift', issues },
    notes,
  }
}

/** GHL's id of one event: the `webhookId` of a body, or of one item of an array body. */
export function ghlWebhookId(item: unknown): string | null {
  return isJsonObject(item) ? (readString(item, 'webhookId') ?? null) : null
}

function resolveHint(hint: string, notes: string[]): AnyCatalogEntry | undefined {
  const entry = byName(hint) ?? byCanonical(hint)
  // Not echoed: the path segment is arbitrary text and may be a misplaced secret.
  if (!entry) notes.push('URL hint is not a GHL event name (see docs/events.md); ignored')
  return entry
}

type Match =
  | { entry: AnyCatalogEntry; matchedBy: Exclude<MatchedBy, 'none'> }
  | { entry: null; family: EventCategory | null }

function matchEvent(
  view: JsonObject,
  ghlType: string | null,
  hinted: AnyCatalogEntry | undefined,
  notes: string[],
): Match {
  const candidates = ghlType === null ? [] : entriesForType(ghlType)
  if (candidates.length === 1) {
    const entry = candidates[0]!
    if (hinted && hinted !== entry) {
      notes.push(`URL hint ${hinted.name} disagrees with type "${ghlType}" (${entry.name}); the type wins`)
    }
    return { entry, matchedBy: 'type' }
  }
  if (hinted) {
    if (candidates.length > 1 && !candidates.includes(hinted)) {
      notes.push(
        `type "${ghlType}" usually means ${names(candidates)}; classified by the URL hint ${hinted.name}`,
      )
    } else if (ghlType !== null && candidates.length === 0 && hinted.typeRole === 'event') {
      notes.push(`type "${truncate(ghlType)}" is not ${hinted.name}'s type; classified by the URL hint`)
    }
    return { entry: hinted, matchedBy: 'hint' }
  }
  if (candidates.length > 1) {
    notes.push(
      `type "${ghlType}" is a price kind, sent by both ${names(candidates)}; ` +
        'give each its own webhook URL (/webhooks/ghl/PriceUpdate, /webhooks/ghl/PriceDelete) to tell them apart',
    )
    return { entry: null, family: candidates[0]!.category }
  }
  if (ghlType !== null) {
    const sameAsDocName = byName(ghlType)
    if (sameAsDocName?.typeRole === 'none') {
      notes.push(`type equals the doc name of ${sameAsDocName.name}, which GHL documents without a type`)
      return { entry: sameAsDocName, matchedBy: 'type' }
    }
    const family = detectFamily(view)
    notes.push(
      `unknown type "${truncate(ghlType)}"${family ? `; the body looks like ${describeFamily(family)}` : ''}`,
    )
    return { entry: null, family }
  }
  const family = detectFamily(view)
  const shapeName = eventNamedByShape(family, view)
  const byShape = shapeName === null ? undefined : byName(shapeName)
  if (byShape) return { entry: byShape, matchedBy: 'shape' }
  if (family) {
    notes.push(
      `no type and no URL hint; looks like ${describeFamily(family)} (${names(entriesInCategory(family))}): ` +
        'give each event its own webhook URL so the path names it',
    )
  } else {
    notes.push('no type, no URL hint and no recognisable shape')
  }
  return { entry: null, family }
}

function validate(
  entry: AnyCatalogEntry,
  body: unknown,
  view: JsonObject,
  format: BodyFormat,
): SchemaIssue[] {
  const issues: SchemaIssue[] = []
  const itemSchema = entry.itemSchema
  if (format === 'array' && itemSchema && Array.isArray(body)) {
    for (let i = 0; i < body.length && issues.length < MAX_ISSUES; i++) {
      collectIssues(itemSchema.safeParse(body[i]), `${i}.`, issues)
    }
  } else {
    collectIssues(entry.schema.safeParse(view), '', issues)
  }
  return issues
}

function collectIssues(result: z.ZodSafeParseResult<unknown>, prefix: string, out: SchemaIssue[]): void {
  if (result.success) return
  for (const issue of result.error.issues) {
    if (out.length >= MAX_ISSUES) return
    const path = prefix + issue.path.map(String).join('.')
    out.push({ path: path.endsWith('.') ? path.slice(0, -1) : path, message: issue.message })
  }
}

function unknownResult(format: BodyFormat, ghlType: string | null, notes: string[]): Classification {
  return {
    name: 'unknown',
    canonical: 'unknown',
    ghlType,
    family: null,
    entity: { kind: 'unknown', id: null },
    tenant: {},
    occurredAt: null,
    sentAt: null,
    webhookId: null,
    format,
    matchedBy: 'none',
    schema: { status: 'unknown', issues: [] },
    notes,
  }
}

function firstString(view: JsonObject, paths: readonly string[]): string | null {
  for (const path of paths) {
    const value = readPathString(view, pathSegments(path))
    if (value !== undefined) return value
  }
  return null
}

function firstTime(view: JsonObject, paths: readonly string[]): string | null {
  for (const path of paths) {
    const iso = toIsoTime(readPath(view, pathSegments(path)))
    if (iso !== null) return iso
  }
  return null
}

/** "an invoice event", "a record event". */
function describeFamily(family: EventCategory): string {
  return `${/^[aeiou]/.test(family) ? 'an' : 'a'} ${family} event`
}

function names(entries: readonly AnyCatalogEntry[]): string {
  return entries.map((entry) => entry.name).join('/')
}

/** Body values end up in notes: keep them short. */
function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
