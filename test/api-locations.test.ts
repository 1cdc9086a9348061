import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../src/ids.js'
import type { NewDelivery } from '../src/store/types.js'
import { sampleEvent } from './support/sample-event.js'
import {
  contactCreate,
  createTestApp,
  ed25519Signature,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'

/** GET /api/locations and /api/locations/:id: the tenants seen, their numbers, their blocked lanes. */

const key = testEd25519Key()
const ADMIN = 'admin-secret-token-1234567890'

describe('GET /api/locations', () => {
  let t: TestApp
  const api = (url: string, token: string | null = ADMIN) =>
    t.gateway.fastify.inject({
      method: 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })
  const head: NewDelivery = {
    id: newId('dlv'),
    subscriberId: 'crm-sync',
    orderingKey: 'crm-sync|loc_lane|contact:c1',
    runAt: 0,
  }
  const behind: NewDelivery = { ...head, id: newId('dlv') }
  let headEvent: ReturnType<typeof sampleEvent>

  beforeAll(async () => {
    t = await createTestApp('sqlite', { GHL_ED25519_PUBLIC_KEYS: key.spki, ADMIN_TOKEN: ADMIN })
    for (const locationId of ['loc_a', 'loc_a', 'loc_b']) {
      const body = JSON.stringify(contactCreate({ locationId }))
      const sent = await t.gateway.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, body),
        },
        payload: body,
      })
      expect(sent.statusCode).toBe(200)
    }
    // A blocked lane, written as the worker would leave it: the head failed, one waits behind it.
    // Received after the webhooks above, as ingest would store it: the window is a range of seq.
    const now = Date.now()
    headEvent = sampleEvent({ receivedAt: now, locationId: 'loc_lane', entityId: 'c1', deliveries: [head] })
    await t.store.insertEvents([
      headEvent,
      sampleEvent({ locationId: 'loc_lane', entityId: 'c1', deliveries: [behind] }),
    ])
    const [claimed] = await t.store.claimDeliveries({
      worker: 'w',
      now,
      leaseMs: 60_000,
      slots: [{ subscriberId: 'crm-sync', limit: 5 }],
    })
    expect(claimed?.id).toBe(head.id)
    const attempt = {
      id: newId('att'),
      number: 1,
      cycle: 0,
      startedAt: now,
      durationMs: 3,
      errorClass: 'Error',
      errorMessage: 'CRM said 500',
      errorStack: null,
      response: null,
    }
    await t.store.finishAttempts(
      [
        {
          deliveryId: head.id,
          worker: 'w',
          attempt,
          next: { state: 'retry_scheduled', runAt: now + 600_000, error: 'CRM said 500' },
        },
      ],
      now + 3,
    )
  })
  afterAll(async () => {
    await t.close()
  })

  it('requires the admin token', async () => {
    expect((await api('/api/locations', null)).statusCode).toBe(401)
    expect((await api('/api/locations/loc_a', 'wrong')).json().error.code).toBe('unauthorized')
  })

  it('lists the tenants seen in id order with volume, last seen and an error rate, paged by cursor', async () => {
    const first = await api('/api/locations?limit=2')
    expect(first.statusCode).toBe(200)
    const page = first.json()
    expect(page.window.name).toBe('24h')
    expect(page.data.map((l: { id: string; volume: number }) => [l.id, l.volume])).toEqual([
      ['loc_a', 2],
      ['loc_b', 1],
    ])
    expect(page.data[0]).toMatchObject({ kind: 'location', volumeCapped: false, errorRate: null })
    expect(Date.parse(page.data[0].lastSeenAt)).toBeGreaterThan(Date.now() - 60_000)
    const next = (await api(`/api/locations?limit=2&cursor=${page.nextCursor}`)).json()
    expect(next.data.map((l: { id: string }) => l.id)).toEqual(['loc_lane'])
    expect(next.data[0]).toMatchObject({ sampledDeliveries: 2, failedDeliveries: 1, errorRate: 0.5 })
    expect(next.nextCursor).toBeNull()
    expect((await api('/api/locations?from=loc_b')).json().data.map((l: { id: string }) => l.id)).toEqual([
      'loc_b',
      'loc_lane',
    ])
  })

  it('refuses a bad window, limit or cursor with invalid_request', async () => {
    for (const query of ['window=2d', 'limit=0', 'limit=101', 'cursor=nope']) {
      const answer = await api(`/api/locations?${query}`)
      expect(answer.statusCode, query).toBe(400)
      expect(answer.json().error.code).toBe('invalid_request')
    }
  })

  it('shows one tenant with its blocked lane: the head event, its error, how many wait behind it', async () => {
    const answer = await api('/api/locations/loc_lane?window=1h')
    expect(answer.statusCode).toBe(200)
    const detail = answer.json()
    expect(detail).toMatchObject({ id: 'loc_lane', window: { name: '1h' }, blockedLanesTruncated: false })
    expect(detail.as).toEqual([expect.objectContaining({ kind: 'location', volume: 2 })])
    expect(detail.blockedLanes).toEqual([
      expect.objectContaining({
        subscriber: 'crm-sync',
        entity: { kind: 'contact', id: 'c1' },
        deliveryId: head.id,
        eventId: headEvent.id,
        type: 'contact.created',
        state: 'retry_scheduled',
        attempts: 1,
        lastError: 'CRM said 500',
        waiting: 1,
      }),
    ])
    expect((await api('/api/locations/loc_a')).json().blockedLanes).toEqual([])
  })

  it('answers not_found for an id no stored event names', async () => {
    const answer = await api('/api/locations/loc_nobody')
    expect(answer.statusCode).toBe(404)
    expect(answer.json().error).toMatchObject({ code: 'not_found' })
    expect(answer.json().error.message).toContain('GET /api/locations')
  })
})
