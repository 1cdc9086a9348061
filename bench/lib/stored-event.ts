import { createHash } from 'node:crypto'
import { newId } from '../../src/ids.js'
import { classifyGhl } from '../../src/receive/classify-event.js'
import type { NewDelivery, NewEvent } from '../../src/store/types.js'

/**
 * A GHL body as ingest would hand it to `store.insertEvents()`: classified the same way, verified
 * (as by the bench's test key), with the given deliveries. The store suites (deliver, backlog,
 * store-insert) insert these directly instead of sending webhooks.
 */
export function storedGhlEvent(raw: Buffer, now: number, deliveries: NewDelivery[] = []): NewEvent {
  const { fields, webhookId } = classifyGhl(JSON.parse(raw.toString('utf8')), undefined, [])
  return {
    id: newId('evt', now),
    source: 'ghl',
    dedupeKey: webhookId!,
    webhookId,
    receivedAt: now,
    contentType: 'application/json',
    headers: { 'content-type': 'application/json' },
    rawBody: raw,
    contentHash: `sha256:${createHash('sha256').update(raw).digest('hex')}`,
    verification: { scheme: 'ghl-ed25519', verified: true, keyId: 'bench' },
    flags: [],
    eventHint: null,
    ...fields,
    deliveries,
  }
}
