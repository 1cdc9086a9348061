import type { EventCategory } from './define-event.js'
import { accountEvents } from './schemas/account.js'
import { aiEvents } from './schemas/ai.js'
import { appEvents } from './schemas/app.js'
import { appointmentEvents } from './schemas/appointment.js'
import { contactEvents } from './schemas/contact.js'
import { conversationEvents } from './schemas/conversation.js'
import { customObjectEvents } from './schemas/custom-objects.js'
import { invoiceEvents } from './schemas/invoice.js'
import { opportunityEvents } from './schemas/opportunity.js'
import { productEvents } from './schemas/product.js'

/**
 * The GHL event catalog: one entry per event on GHL's webhook docs (77 as of 2026-08-30; the test
 * checks the list against shared/ghl/events.json). docs/events.md is generated from it.
 *
 * Canonical names are ours, stable, and what subscriptions match on: `<entity>.<what happened>` in
 * lower snake case, with a past-tense verb (`contact.created`, `invoice.voided`, `task.completed`)
 * or `<field>_changed` / `<field>_updated` for a state change (`opportunity.stage_changed`,
 * `contact.tags_updated`, `app.payment_status_changed`). The entity prefix follows what the event is
 * about, not GHL's page name: INSTALL is `app.installed`, and AppUpdate (an app VERSION change) is
 * `app.updated`. Messages are named by direction (`message.inbound`, `message.outbound`,
 * `message.provider_outbound`). `unknown` is reserved for bodies the catalog cannot name.
 */
export const CATALOG = [
  ...appEvents,
  ...accountEvents,
  ...contactEvents,
  ...opportunityEvents,
  ...appointmentEvents,
  ...conversationEvents,
  ...invoiceEvents,
  ...productEvents,
  ...customObjectEvents,
  ...aiEvents,
] as const

export type AnyCatalogEntry = (typeof CATALOG)[number]
/** GHL's doc page names: `ContactCreate`, `ConversationUnreadWebhook`, … */
export type GhlEventName = AnyCatalogEntry['name']
/** Our dotted names: `contact.created`, `conversation.unread_changed`, … */
export type CanonicalEventName = AnyCatalogEntry['canonical']
export type CatalogEntryFor<N extends GhlEventName> = Extract<AnyCatalogEntry, { name: N }>

/**
 * Price kinds GHL sends as the top-level `type` of PriceUpdate/PriceDelete (the products API knows
 * `one_time` and `recurring`; the webhook docs show `one_time`). Any of them means "a price changed".
 */
export const PRICE_KINDS: readonly string[] = ['one_time', 'recurring']

export const GHL_EVENT_NAMES: readonly GhlEventName[] = CATALOG.map((entry) => entry.name)
export const CANONICAL_EVENT_NAMES: readonly CanonicalEventName[] = CATALOG.map((entry) => entry.canonical)

// Maps, not object literals: a body or URL saying `constructor` or `__proto__` must find nothing.
const BY_NAME = new Map<string, AnyCatalogEntry>(CATALOG.map((entry) => [entry.name, entry]))
const BY_CANONICAL = new Map<string, AnyCatalogEntry>(CATALOG.map((entry) => [entry.canonical, entry]))
const BY_TYPE = buildTypeIndex()
const BY_CATEGORY = new Map<EventCategory, AnyCatalogEntry[]>()
for (const entry of CATALOG) {
  const list = BY_CATEGORY.get(entry.category)
  if (list) list.push(entry)
  else BY_CATEGORY.set(entry.category, [entry])
}

/** Exact, case-sensitive `type` → events. Built once; the classifier does one Map lookup per body. */
function buildTypeIndex(): Map<string, readonly AnyCatalogEntry[]> {
  const index = new Map<string, AnyCatalogEntry[]>()
  const add = (type: string, entry: AnyCatalogEntry) => {
    const list = index.get(type)
    if (!list) index.set(type, [entry])
    else if (!list.includes(entry)) list.push(entry)
  }
  for (const entry of CATALOG) {
    if (entry.typeRole === 'event' || entry.typeRole === 'channel') {
      for (const type of entry.typeValues) add(type, entry)
    } else if (entry.typeRole === 'price-kind') {
      for (const kind of new Set([...entry.typeValues, ...PRICE_KINDS])) add(kind, entry)
    }
  }
  for (const [type, entries] of index) {
    // Only price kinds may be shared; two events claiming one `type` would be a catalog bug.
    if (entries.length > 1 && !entries.every((entry) => entry.typeRole === 'price-kind')) {
      throw new Error(`catalog: type "${type}" is claimed by ${entries.map((e) => e.name).join(', ')}`)
    }
  }
  return index
}

export function byName<N extends GhlEventName>(name: N): CatalogEntryFor<N>
export function byName(name: string): AnyCatalogEntry | undefined
export function byName(name: string): AnyCatalogEntry | undefined {
  return BY_NAME.get(name)
}

export function byCanonical<C extends CanonicalEventName>(
  canonical: C,
): Extract<AnyCatalogEntry, { canonical: C }>
export function byCanonical(canonical: string): AnyCatalogEntry | undefined
export function byCanonical(canonical: string): AnyCatalogEntry | undefined {
  return BY_CANONICAL.get(canonical)
}

/**
 * Events a body `type` value may stand for (case-sensitive): one entry for event and channel types,
 * PriceUpdate + PriceDelete for a price kind, none for anything else.
 */
export function entriesForType(type: string): readonly AnyCatalogEntry[] {
  return BY_TYPE.get(type) ?? []
}

export function entriesInCategory(category: EventCategory): readonly AnyCatalogEntry[] {
  return BY_CATEGORY.get(category) ?? []
}

export function isGhlEventName(value: unknown): value is GhlEventName {
  return typeof value === 'string' && BY_NAME.has(value)
}

export function isCanonicalEventName(value: unknown): value is CanonicalEventName {
  return typeof value === 'string' && BY_CANONICAL.has(value)
}
