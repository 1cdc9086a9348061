/**
 * The GHL event catalog: which event a stored body is, its tenant, entity and time, its typed
 * payload, and the canonical envelope the rest of the pipeline passes around.
 */
export {
  type BodyFormat,
  type Classification,
  type ClassifyOptions,
  classifyGhlBody,
  ghlWebhookId,
  type MatchedBy,
  type SchemaIssue,
  type SchemaStatus,
} from './classify.js'
export {
  type CatalogEntry,
  type EventCategory,
  type EventLevel,
  TENANT_RULE_TEXT,
  type TenantRule,
  type TypeRole,
} from './define-event.js'
export type {
  AnyGhlEvent,
  EventFor,
  GhlEnvelope,
  GhlEvent,
  UnknownGhlEvent,
} from './envelope.js'
export { freshFixture, loadFixture } from './fixtures.js'
export {
  type AnyGatewayEvent,
  GATEWAY_EVENT_TYPES,
  GATEWAY_EVENTS,
  GATEWAY_SOURCE,
  type GatewayEvent,
  type GatewayEventDetails,
  type GatewayEventMap,
  type GatewayEventType,
  isGatewayEventType,
  namesGatewayEvents,
  type OperationalReport,
  type ReportOperational,
} from './gateway-events.js'
export { publishedType, storedTypesOf, type TypedEvent } from './published-type.js'
export { pathSegments, readPath } from './read-body.js'
export {
  type AnyCatalogEntry,
  byCanonical,
  byName,
  CANONICAL_EVENT_NAMES,
  CATALOG,
  type CanonicalEventName,
  type CatalogEntryFor,
  entriesForType,
  entriesInCategory,
  GHL_EVENT_NAMES,
  type GhlEventName,
  isCanonicalEventName,
  isGhlEventName,
  PRICE_KINDS,
} from './registry.js'
export { createTypeMapper, type TypeMapper } from './rename.js'
export { primaryTenantId, resolveTenant, type Tenant } from './tenant.js'
export type { CanonicalEventMap, CanonicalToName, GhlEventMap, NameOf, NameToCanonical } from './types.js'
