import type { z } from 'zod'

/**
 * The shape of one catalog entry. Each `schemas/<category>.ts` file declares its events with
 * `defineEvent`, keeping an event's metadata and schema side by side; `registry.ts` concatenates them.
 */

/** Event families as GHL's docs group them (the `category` column of shared/ghl/events.json). */
export type EventCategory =
  | 'app'
  | 'auth'
  | 'saas'
  | 'support-ticket'
  | 'location'
  | 'user'
  | 'contact'
  | 'note'
  | 'task'
  | 'opportunity'
  | 'appointment'
  | 'campaign'
  | 'message'
  | 'conversation'
  | 'email-stats'
  | 'invoice'
  | 'order'
  | 'product'
  | 'price'
  | 'object-schema'
  | 'record'
  | 'relation'
  | 'association'
  | 'voice-ai'
  | 'knowledge-base'

/** Which installs receive the event: sub-account apps, agency apps, or both. */
export type EventLevel = 'location' | 'agency' | 'both'

/**
 * Where the tenant id is documented for the event. Resolution itself is one algorithm for every event
 * (`resolveTenant`: locationId → altId when altType is "location" → companyId), which satisfies all
 * of these; the rule says what to expect, and a body that lacks it gets a classification note.
 */
export type TenantRule =
  /** `locationId`. */
  | 'location'
  /** `locationId` for sub-account installs/users, else `companyId` (agency). */
  | 'location-else-company'
  /** `companyId` only; for Location* the location itself is the entity (`id`), not the tenant. */
  | 'company'
  /** `altId` when `altType === "location"` (Invoice*). */
  | 'alt-location'
  /** `locationId`, else `altId`/`altType` (Order* carries both). */
  | 'location-else-alt'

export const TENANT_RULE_TEXT: Readonly<Record<TenantRule, string>> = {
  location: '`locationId`',
  'location-else-company': '`locationId`, else `companyId`',
  company: '`companyId`',
  'alt-location': '`altId` (when `altType` is `location`)',
  'location-else-alt': '`locationId`, else `altId`',
}

/**
 * What the body's top-level `type` means for this event. Only `event` and `channel` values identify an
 * event on their own; a `price-kind` names the kind of price (`one_time`), shared by PriceUpdate and
 * PriceDelete; `none` means GHL documents the event without a `type`.
 */
export type TypeRole = 'event' | 'channel' | 'price-kind' | 'none'

export interface CatalogEntry<
  N extends string = string,
  C extends string = string,
  S extends z.ZodType = z.ZodType,
> {
  /** GHL's doc page name, e.g. `ContactCreate`, `ConversationUnreadWebhook`. Used for URL hints. */
  readonly name: N
  /** Our stable, dotted event name (`<entity>.<past tense or state change>`), renameable per gateway. */
  readonly canonical: C
  /** The body `type` values GHL documents for the event; empty when documented without a `type`. */
  readonly typeValues: readonly string[]
  readonly typeRole: TypeRole
  readonly category: EventCategory
  readonly level: EventLevel
  /** OAuth scopes the Scopes page names for the event; empty when it names none. */
  readonly scopes: readonly string[]
  /** Docs edition that first listed the event (`2025-05`, `2025-10`, `2026-08`). */
  readonly since: string
  /** The entity the event is about, and the dotted path of its id in the body. */
  readonly entity: { readonly kind: string; readonly idPath: string }
  readonly tenant: TenantRule
  /** Lenient payload schema: identifies the event (id, `type` literal); everything else optional. */
  readonly schema: S
  /** For events whose body may be an array of items (SaaSPlanCreate): the schema of one item. */
  readonly itemSchema?: z.ZodType
  /** Dotted paths tried in order for the time the event happened; `timestamp` first. */
  readonly occurredAtPaths: readonly string[]
  /** One line for docs/events.md: what fires it and what to watch for. */
  readonly description: string
}

type EventDefinition<N extends string, C extends string, S extends z.ZodType> = Omit<
  CatalogEntry<N, C, S>,
  'occurredAtPaths'
> & {
  /** @default ['timestamp'] */
  readonly occurredAtPaths?: readonly string[]
}

/** Declares one catalog entry, keeping the literal name/canonical types so event maps can be derived. */
export function defineEvent<const N extends string, const C extends string, S extends z.ZodType>(
  definition: EventDefinition<N, C, S>,
): CatalogEntry<N, C, S> {
  return { ...definition, occurredAtPaths: definition.occurredAtPaths ?? ['timestamp'] }
}
