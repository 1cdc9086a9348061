import type { GhlApi, GhlCallRecord } from '../ghl/api-client.js'
import { GhlNotConfiguredError } from '../ghl/errors.js'
import type { GhlClient } from '../ghl/ghl-client.js'
import type { StoredEvent } from '../store/types.js'
import { PermanentError } from './errors.js'

/** The most GHL calls one attempt's record keeps (the last ones). */
export const MAX_GHL_CALLS_SAVED = 20

/**
 * `ctx.ghl` for one attempt: bound to the event's location, else its company. An event with
 * neither (another source's event, an agency event GHL sent without a company) cannot call GHL for
 * anyone — a permanent failure, since no retry adds a location.
 */
export function ghlClientFor(
  api: GhlApi | undefined,
  event: StoredEvent,
  signal: AbortSignal,
  onCall: (call: GhlCallRecord) => void,
): GhlClient {
  if (!api) {
    throw new GhlNotConfiguredError(
      'ctx.ghl needs a GHL app: set GHL_CLIENT_ID, GHL_CLIENT_SECRET and GHL_TOKEN_KEY (docs/ghl-apps.md)',
    )
  }
  const target = event.locationId ?? (event.companyId === null ? undefined : { companyId: event.companyId })
  if (target === undefined) {
    throw new PermanentError(
      `ctx.ghl: event ${event.id} (${event.eventName ?? event.ghlType ?? 'unknown type'}) names no locationId or companyId, so there is no GHL token to call with; use gw.ghl(locationId) with the location you mean`,
    )
  }
  return api.for(target, { signal, onCall })
}
