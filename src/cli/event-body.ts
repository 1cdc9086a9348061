import {
  type AnyCatalogEntry,
  byCanonical,
  byName,
  CATALOG,
  freshFixture,
  type GhlEventName,
} from '../catalog/index.js'
import { didYouMean } from '../did-you-mean.js'
import { UsageError } from './errors.js'

/**
 * Turning `send ContactCreate --set contact.email=a@b.c` into a body: the catalog's own fixture
 * (`freshFixture`: new webhookId and timestamp), then the `--set` edits. Nothing here knows an
 * event's fields; the catalog does.
 */

/** A doc name (`ContactCreate`), a canonical name (`contact.created`), or either in another case. */
export function resolveEvent(text: string): AnyCatalogEntry {
  const exact = byName(text) ?? byCanonical(text)
  if (exact) return exact
  const lower = text.toLowerCase()
  const folded = CATALOG.filter((e) => e.name.toLowerCase() === lower || e.canonical.toLowerCase() === lower)
  if (folded.length === 1) return folded[0]!
  const near = didYouMean(
    text,
    CATALOG.flatMap((e) => [e.name, e.canonical]),
  )
  throw new UsageError(
    `unknown event "${text}"${near ? `; ${near}` : ''} (\`ghl-gateway send --list\` lists all ${CATALOG.length})`,
  )
}

/**
 * Events whose body does not say which event it is: GHL documents them without a `type`
 * (Invoice*, Product*, Record*, …) or with a price kind shared by two events (PriceUpdate and
 * PriceDelete send `one_time`). GHL delivers them to a per-event URL set in the app's advanced
 * webhook settings, which the gateway takes as `/webhooks/ghl/<EventName>`.
 */
export function needsPerEventUrl(entry: AnyCatalogEntry): boolean {
  return entry.typeRole === 'none' || entry.typeRole === 'price-kind'
}

/** `<base>/<EventName>` for events that need it, else the base URL itself. */
export function perEventUrl(base: URL, entry: AnyCatalogEntry): URL {
  if (!needsPerEventUrl(entry)) return base
  const url = new URL(base)
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/${entry.name}`
  return url
}

export interface FieldEdit {
  path: string[]
  value: unknown
}

const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor'])

/** `a.b=value` → path and value; the value is JSON when it parses as JSON, else the text itself. */
export function parseFieldEdit(text: string): FieldEdit {
  const eq = text.indexOf('=')
  if (eq <= 0)
    throw new UsageError(`--set takes field=value, e.g. --set contact.email=a@example.com (got "${text}")`)
  const path = text.slice(0, eq).split('.')
  if (path.some((part) => part === '' || FORBIDDEN.has(part))) {
    throw new UsageError(`--set ${text.slice(0, eq)}: give a dotted field path such as contact.email`)
  }
  const raw = text.slice(eq + 1)
  let value: unknown = raw
  try {
    value = JSON.parse(raw)
  } catch {
    value = raw
  }
  return { path, value }
}

/** Applies the edits to an object body, or to every item of an array body. */
export function applyEdits(body: unknown, edits: readonly FieldEdit[]): unknown {
  const items = Array.isArray(body) ? body : [body]
  for (const item of items) {
    if (typeof item !== 'object' || item === null) continue
    for (const edit of edits) setPath(item as Record<string, unknown>, edit)
  }
  return body
}

function setPath(target: Record<string, unknown>, edit: FieldEdit): void {
  let node: Record<string, unknown> | unknown[] = target
  edit.path.forEach((key, index) => {
    const last = index === edit.path.length - 1
    if (Array.isArray(node) && !/^\d+$/.test(key)) {
      throw new UsageError(
        `--set ${edit.path.join('.')}: "${edit.path.slice(0, index).join('.')}" is a list; use a number, e.g. .0`,
      )
    }
    const container = node as Record<string, unknown>
    if (last) {
      container[key] = edit.value
      return
    }
    const next = Object.hasOwn(container, key) ? container[key] : undefined
    if (typeof next === 'object' && next !== null) {
      node = next as Record<string, unknown>
    } else {
      const created: Record<string, unknown> = {}
      container[key] = created
      node = created
    }
  })
}

/** A new delivery of the event: the catalog fixture with a fresh webhookId and timestamp, edited. */
export function buildEventBody(entry: AnyCatalogEntry, edits: readonly FieldEdit[] = []): Buffer {
  const body = applyEdits(freshFixture(entry.name as GhlEventName), edits)
  return Buffer.from(JSON.stringify(body))
}

/** The body's webhookId (first item for array bodies), for output lines. */
export function webhookIdOf(body: unknown): string | null {
  const item = Array.isArray(body) ? body[0] : body
  if (typeof item !== 'object' || item === null) return null
  const id = (item as Record<string, unknown>).webhookId
  return typeof id === 'string' ? id : null
}
