import { createHash } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { describe, expect, it } from 'vitest'
import { createTypeMapper } from '../catalog/index.js'
import { loadConfig } from '../config/index.js'
import { SubscriberRegistry } from '../dispatch/registry.js'
import { retryPolicy } from '../dispatch/retry-policy.js'
import { GatewayError } from '../errors.js'
import { idTime } from '../ids.js'
import { fingerprint, type VerifyOutcome } from '../verify/index.js'
import { buildNewEvent, type NewEventContext } from './new-event.js'
import { buildSources, type SourceRuntime } from './sources.js'

/** The receive stage's decisions about one webhook, without an HTTP server or a store. */

const RECEIVED_AT = Date.parse('2026-11-23T12:00:00.000Z')
const SIGNED: VerifyOutcome = { ok: true, scheme: 'ghl-ed25519', keyId: 'sha256:key1' }
const REFUSED: VerifyOutcome = {
  ok: false,
  scheme: 'ghl-ed25519',
  code: 'invalid_signature',
  message: 'the signature does not match',
}

function ghlSource(env: Record<string, string> = {}): SourceRuntime {
  return buildSources(loadConfig({ env, cwd: '/nonexistent' })).get('ghl')!
}

/** A sender with its own id header and type field, JSON or form bodies. */
const billing: SourceRuntime = {
  id: 'billing',
  isGhl: false,
  verifier: { scheme: 'hmac-sha256', credentialHeaders: ['x-signature'], verify: () => SIGNED },
  acceptUnverified: false,
  mediaTypes: new Set(['json', 'form']),
  idHeader: 'x-event-id',
  idPath: undefined,
  typePath: ['type'],
  secretInUrl: false,
  keptHeaders: ['content-type', 'user-agent'],
}

function context(subscribers: { id: string; events: string[] }[] = [], renames = {}): NewEventContext {
  const registry = new SubscriberRegistry()
  for (const { id, events } of subscribers) {
    registry.add({
      id,
      kind: 'handler',
      events,
      retry: retryPolicy(),
      concurrency: 1,
      timeoutMs: 1000,
      run: async () => ({ outcome: 'success' }),
    })
  }
  return { types: createTypeMapper(renames), registry, ghlTimestampWindowMs: 5 * 60_000 }
}

function build(
  body: unknown,
  options: {
    source?: SourceRuntime
    outcome?: VerifyOutcome
    headers?: IncomingHttpHeaders
    segment?: string
    context?: NewEventContext
  } = {},
) {
  const rawBody = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body))
  return buildNewEvent(
    {
      source: options.source ?? ghlSource(),
      rawBody,
      headers: { 'content-type': 'application/json', ...options.headers },
      segment: options.segment,
      now: RECEIVED_AT,
    },
    options.outcome ?? SIGNED,
    options.context ?? context(),
  )
}

const contact = {
  type: 'ContactCreate',
  locationId: 'loc_1',
  id: 'contact_1',
  webhookId: 'wh_1',
  timestamp: '2026-11-23T11:59:58.000Z',
}

describe('buildNewEvent', () => {
  it('keys a GHL event by its webhookId, and records its ids, classification and verification', () => {
    const event = build(contact, { headers: { 'x-ghl-signature': 'c2lnbmF0dXJl', 'user-agent': 'GHL' } })
    const raw = Buffer.from(JSON.stringify(contact))
    expect(event).toMatchObject({
      source: 'ghl',
      dedupeKey: 'wh_1',
      webhookId: 'wh_1',
      receivedAt: RECEIVED_AT,
      contentType: 'application/json',
      contentHash: `sha256:${createHash('sha256').update(raw).digest('hex')}`,
      verification: { scheme: 'ghl-ed25519', verified: true, keyId: 'sha256:key1' },
      flags: [],
      eventHint: null,
      ghlType: 'ContactCreate',
      eventName: 'ContactCreate',
      eventType: 'contact.created',
      entityKind: 'contact',
      entityId: 'contact_1',
      locationId: 'loc_1',
      sentAt: '2026-11-23T11:59:58.000Z',
      bodyFormat: 'flat',
      deliveries: [],
    })
    expect(event.rawBody.equals(raw)).toBe(true)
    // Time-sortable: the id carries the receive time.
    expect(event.id).toMatch(/^evt_/)
    expect(idTime(event.id)).toBe(RECEIVED_AT)
    // A signature is a credential: kept as a fingerprint only.
    expect(event.headers['x-ghl-signature']).toBe(fingerprint('c2lnbmF0dXJl'))
    expect(event.headers['user-agent']).toBe('GHL')
  })

  it('keys a body without a sender id by the hash of its bytes, and flags it', () => {
    const { webhookId: _, ...withoutId } = contact
    const event = build(withoutId)
    expect(event.webhookId).toBeNull()
    expect(event.dedupeKey).toBe(event.contentHash)
    expect(event.flags).toContain('no_webhook_id')
  })

  it('takes the event name from a per-event URL when the body has no type', () => {
    const event = build({ locationId: 'loc_1', id: 'inv_1', webhookId: 'wh_2' }, { segment: 'InvoiceCreate' })
    expect(event).toMatchObject({ eventHint: 'InvoiceCreate', eventName: 'InvoiceCreate', ghlType: null })
  })

  it('refuses a failed signature with its catalog code, unless the source stores it flagged', () => {
    expect(() => build(contact, { outcome: REFUSED })).toThrow(
      expect.objectContaining({ code: 'invalid_signature', statusCode: 401 }),
    )
    const event = build(contact, { outcome: REFUSED, source: ghlSource({ GHL_SIGNATURE_MODE: 'off' }) })
    expect(event.verification).toEqual({
      scheme: 'ghl-ed25519',
      verified: false,
      failure: 'invalid_signature',
    })
    expect(event.flags).toEqual(['unverified'])
  })

  it('refuses bodies that are not JSON, and GHL bodies that are not an object or array', () => {
    expect(() => build('{"type":')).toThrow(expect.objectContaining({ code: 'invalid_json' }))
    expect(() => build('"just text"')).toThrow(expect.objectContaining({ code: 'invalid_payload' }))
    expect(() => build('"just text"')).toThrow(GatewayError)
  })

  it('flags a GHL timestamp outside the window, and not when the window is off', () => {
    const late = { ...contact, timestamp: '2026-11-23T11:50:00.000Z' }
    expect(build(late).flags).toEqual(['timestamp_outside_window'])
    expect(build(late, { context: { ...context(), ghlTimestampWindowMs: null } }).flags).toEqual([])
  })

  it('plans deliveries for the subscribers whose patterns match the published (renamed) type', () => {
    const subscribers = [
      { id: 'renamed', events: ['crm.contact_added'] },
      { id: 'doc-name', events: ['ContactCreate'] },
      { id: 'other', events: ['opportunity.*'] },
    ]
    const event = build(contact, {
      context: context(subscribers, { 'contact.created': 'crm.contact_added' }),
    })
    expect(event.eventType).toBe('contact.created')
    expect(event.deliveries.map((d) => d.subscriberId)).toEqual(['renamed', 'doc-name'])
    for (const delivery of event.deliveries) {
      expect(delivery).toMatchObject({ runAt: RECEIVED_AT, orderingKey: null })
      expect(delivery.id).toMatch(/^dlv_/)
    }
  })

  it("keys another source's event by its id header, and reads its own type", () => {
    const event = build(
      { type: 'invoice.paid', amount: 5 },
      {
        source: billing,
        outcome: { ok: true, scheme: 'hmac-sha256', keyId: 'main' },
        headers: { 'x-event-id': 'ev_9' },
      },
    )
    expect(event).toMatchObject({
      source: 'billing',
      dedupeKey: 'ev_9',
      webhookId: 'ev_9',
      eventName: null,
      eventType: 'invoice.paid',
      bodyFormat: 'flat',
      schemaStatus: null,
      verification: { scheme: 'hmac-sha256', verified: true, keyId: 'main' },
    })
  })

  it('prefers the id the signature scheme verified to an id header, and parses form bodies', () => {
    const event = build('type=refund&amount=5', {
      source: billing,
      outcome: { ok: true, scheme: 'hmac-sha256', keyId: 'main', senderEventId: 'signed_1' },
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-event-id': 'header_1' },
    })
    expect(event).toMatchObject({ dedupeKey: 'signed_1', eventType: 'refund', bodyFormat: 'form' })
  })
})
