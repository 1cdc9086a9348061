import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/ids.js'
import { sampleEvent } from './support/sample-event.js'
import {
  contactCreate,
  createTestApp,
  ed25519Signature,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'

/**
 * GET /api/events for the console: `q` (ids and body text), `status`, each row's delivery status,
 * and the 400s a bad search gets. On both stores, through the routes.
 */

const key = testEd25519Key()
const ADMIN = 'admin-secret-token-1234567890'

describe.each(['sqlite', 'postgres'] as const)('GET /api/events?q=&status= (%s)', (kind) => {
  let t: TestApp
  const accepted: { eventId: string; webhookId: string; email: string }[] = []
  const api = (url: string) =>
    t.gateway.fastify.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } })
  const ids = (response: { json(): { data: { id: string }[] } }) => response.json().data.map((e) => e.id)
  let dead: { eventId: string; deliveryId: string }

  beforeAll(async () => {
    t = await createTestApp(kind, { GHL_ED25519_PUBLIC_KEYS: key.spki, ADMIN_TOKEN: ADMIN })
    for (const email of ['ann@example.com', 'bob@example.com', '100%_sure@example.com']) {
      const contact = contactCreate({ email })
      const body = JSON.stringify(contact)
      const response = await t.gateway.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, body),
        },
        payload: body,
      })
      expect(response.statusCode).toBe(200)
      accepted.push({ eventId: response.json().eventId, webhookId: contact.webhookId as string, email })
    }
    // One event whose only delivery is dead, driven there through the store as the worker would.
    const deliveryId = newId('dlv')
    const event = sampleEvent({
      deliveries: [{ id: deliveryId, subscriberId: 'crm', orderingKey: null, runAt: 0 }],
    })
    await t.store.insertEvents([event])
    const now = Date.now()
    const [claimed] = await t.store.claimDeliveries({
      worker: 'w',
      now,
      leaseMs: 60_000,
      slots: [{ subscriberId: 'crm', limit: 1 }],
    })
    expect(claimed?.id).toBe(deliveryId)
    await t.store.finishAttempts(
      [
        {
          deliveryId,
          worker: 'w',
          attempt: {
            id: newId('att'),
            number: 1,
            cycle: 0,
            startedAt: now,
            durationMs: 1,
            errorClass: 'Error',
            errorMessage: 'refused',
            errorStack: null,
            response: null,
          },
          next: { state: 'dead', error: 'refused' },
        },
      ],
      now,
    )
    dead = { eventId: event.id, deliveryId }
  })
  afterAll(async () => {
    await t.close()
  })

  it('finds events by id, delivery id, webhookId and body text; % and _ are plain characters', async () => {
    const [ann, bob, sure] = accepted
    expect(ids(await api(`/api/events?q=${ann!.eventId}`))).toEqual([ann!.eventId])
    expect(ids(await api(`/api/events?q=${bob!.webhookId}`))).toEqual([bob!.eventId])
    expect(ids(await api(`/api/events?q=${dead.deliveryId}`))).toEqual([dead.eventId])
    expect(ids(await api('/api/events?q=bob%40example.com'))).toEqual([bob!.eventId])
    expect(ids(await api('/api/events?q=%25'))).toEqual([sure!.eventId])
    // Every body holds `_` (appId app_1): as LIKE patterns these would match them all.
    expect(ids(await api('/api/events?q=%25_'))).toEqual([sure!.eventId])
    expect(ids(await api('/api/events?q=_sure'))).toEqual([sure!.eventId])
    const all = (await api('/api/events?q=example.com')).json()
    expect(all.data.map((e: { id: string }) => e.id)).toEqual([sure!.eventId, bob!.eventId, ann!.eventId])
    expect(all).toMatchObject({ nextCursor: null, searchedBackTo: null })
    expect(ids(await api('/api/events?q=nobody%40example.com'))).toEqual([])
  })

  it('filters by delivery status, and every row says its status and counts', async () => {
    const failed = (await api('/api/events?status=failed')).json()
    expect(failed.data.map((e: { id: string }) => e.id)).toEqual([dead.eventId])
    expect(failed.data[0]).toMatchObject({
      deliveryStatus: 'failed',
      deliveryCounts: { open: 0, succeeded: 0, dead: 1, discarded: 0 },
    })
    expect(ids(await api('/api/events?status=none'))).toEqual(accepted.map((a) => a.eventId).reverse())
    expect(ids(await api('/api/events?status=pending'))).toEqual([])
    expect(ids(await api('/api/events?status=failed&q=ann%40example.com'))).toEqual([])
    const list = (await api('/api/events')).json()
    expect(list.data.map((e: { deliveryStatus: string }) => e.deliveryStatus)).toEqual([
      'failed',
      'none',
      'none',
      'none',
    ])
    expect(list.searchedBackTo).toBeNull()
    const detail = (await api(`/api/events/${dead.eventId}`)).json()
    expect(detail).toMatchObject({ deliveryStatus: 'failed', deliveryCounts: { dead: 1 } })
  })

  it('answers 400 invalid_request for an empty, too long or unknown search, naming the field', async () => {
    for (const query of [
      'q=',
      'q=%20%20',
      `q=${'x'.repeat(201)}`,
      `q=${'%F0%9F%92%A5'.repeat(1000)}`,
      'status=lost',
    ]) {
      const response = await api(`/api/events?${query}`)
      expect(response.statusCode, query.slice(0, 20)).toBe(400)
      expect(response.json().error.code).toBe('invalid_request')
      expect(response.json().error.message).toContain(query.split('=')[0])
    }
    expect((await api(`/api/events?q=${'x'.repeat(200)}`)).statusCode).toBe(200)
  })
})
