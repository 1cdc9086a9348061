import { type AnyGhlEvent, publishedType, type TypeMapper } from '../catalog/index.js'
import { parseStoredBody } from '../catalog/parse-body.js'
import type { StoredEvent } from '../store/types.js'

/**
 * The canonical envelope of a stored event, built from the columns classification wrote at
 * ingest (nothing is classified twice) and the original body. `data` is the body exactly as the
 * sender sent it, parsed; destinations that want the bytes use the raw body instead.
 */
export function envelopeOf(
  event: StoredEvent,
  types: TypeMapper,
  /** The user's tenant id of a location (in memory: ghl/location-facts.ts), when a GHL app is configured. */
  tenantOf?: (locationId: string) => string | undefined,
): AnyGhlEvent {
  const tenant: AnyGhlEvent['tenant'] = {}
  if (event.locationId !== null) tenant.locationId = event.locationId
  if (event.companyId !== null) tenant.companyId = event.companyId
  const tenantId = event.locationId === null ? undefined : tenantOf?.(event.locationId)
  if (tenantId !== undefined) tenant.tenantId = tenantId
  return {
    id: event.id,
    source: event.source,
    type: publishedType(event, types),
    ghlType: event.ghlType,
    name: (event.eventName ?? 'unknown') as AnyGhlEvent['name'],
    tenant,
    entity: { kind: event.entityKind ?? 'unknown', id: event.entityId },
    occurredAt: event.occurredAt,
    receivedAt: new Date(event.receivedAt).toISOString(),
    webhookId: event.webhookId,
    data: parseStoredBody(event),
  } as AnyGhlEvent
}
