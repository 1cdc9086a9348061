import { newId } from '../../src/ids.js'
import type { NewEvent } from '../../src/store/types.js'

let sequence = 0

/**
 * A classified GHL ContactCreate as ingest would submit it, unique per call (webhookId, entity id);
 * `overrides` replace fields. For tests that write events to a store.
 */
export function sampleEvent(overrides: Partial<NewEvent> = {}): NewEvent {
  sequence++
  const body = Buffer.from(
    JSON.stringify({ type: 'ContactCreate', id: `c${sequence}`, webhookId: `wh-${sequence}` }),
  )
  return {
    id: newId('evt'),
    source: 'ghl',
    dedupeKey: `wh-${sequence}`,
    webhookId: `wh-${sequence}`,
    receivedAt: Date.now(),
    contentType: 'application/json',
    headers: { 'content-type': 'application/json', 'x-ghl-signature': 'sha256:0123456789abcdef' },
    rawBody: body,
    contentHash: 'sha256:abc',
    verification: { scheme: 'ghl-ed25519', verified: true, keyId: 'ghl-ed25519-builtin' },
    flags: [],
    eventHint: null,
    deliveries: [],
    ghlType: 'ContactCreate',
    eventName: 'ContactCreate',
    eventType: 'contact.created',
    entityKind: 'contact',
    entityId: `c${sequence}`,
    locationId: 'loc_1',
    companyId: null,
    sentAt: '2026-11-23T10:00:00.000Z',
    occurredAt: '2026-11-23T10:00:00.000Z',
    bodyFormat: 'flat',
    schemaStatus: 'valid',
    classification: { matchedBy: 'type', family: 'contact', issues: [], notes: [] },
    ...overrides,
  }
}
