import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  contactCreate,
  createTestApp,
  ed25519Signature,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'
import { until } from './support/until.js'

/** The admin read API: token handling, filters, cursors, event detail with the exact bytes. */

const key = testEd25519Key()
const ADMIN = 'admin-secret-token-1234567890'

describe('GET /api/events', () => {
  let t: TestApp
  const api = (url: string, token: string | null = ADMIN) =>
    t.gateway.fastify.inject({
      method: 'GET',
      url,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    })

  beforeAll(async () => {
    t = await createTestApp('sqlite', { GHL_ED25519_PUBLIC_KEYS: key.spki, ADMIN_TOKEN: ADMIN })
    for (let i = 0; i < 5; i++) {
      const body = JSON.stringify(
        contactCreate({
          type: i < 2 ? 'OpportunityCreate' : 'ContactCreate',
          locationId: i % 2 ? 'loc_b' : 'loc_a',
        }),
      )
      await t.gateway.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        headers: {
          'content-type': 'application/json',
          'x-ghl-signature': ed25519Signature(key.privateKey, body),
        },
        payload: body,
      })
    }
  })
  afterAll(async () => {
    await t.close()
  })

  it('requires the bearer token', async () => {
    const none = await api('/api/events', null)
    expect(none.statusCode).toBe(401)
    expect(none.json().error.code).toBe('unauthorized')
    const wrong = await api('/api/events', 'not-it')
    expect(wrong.statusCode).toBe(401)
    expect((await api('/metrics', 'not-it')).statusCode).toBe(401)
    expect((await api('/metrics')).body).toContain(
      'ghl_gateway_webhooks_total{source="ghl",outcome="accepted"} 5',
    )
  })

  it('exposes the SQLite checkpoint thread: WAL size, write pauses, failures', async () => {
    // The first checkpoint follows the writes within 100 ms.
    let metrics = ''
    // No throw on timeout: the assertions below show what the metrics said instead.
    await until(
      async () => {
        metrics = (await api('/metrics')).body
        return /^ghl_gateway_sqlite_wal_frames [1-9]/m.test(metrics)
      },
      'a checkpoint',
      10_000,
    ).catch(() => {})
    expect(metrics).toMatch(/^ghl_gateway_sqlite_wal_frames [1-9]\d*$/m)
    expect(metrics).toMatch(/^ghl_gateway_sqlite_write_pause_seconds_total 0$/m)
    expect(metrics).toMatch(/^ghl_gateway_sqlite_checkpoint_failures_total 0$/m)
  })

  it('lists newest first with filters and a cursor', async () => {
    const all = await api('/api/events')
    expect(all.statusCode).toBe(200)
    expect(all.json().data).toHaveLength(5)
    expect(all.json().data[0]).not.toHaveProperty('rawBody')
    const contacts = await api('/api/events?type=contact.created&locationId=loc_a')
    expect(contacts.json().data.map((e: { name: string }) => e.name)).toEqual([
      'ContactCreate',
      'ContactCreate',
    ])
    expect((await api('/api/events?name=OpportunityCreate')).json().data).toHaveLength(2)
    expect((await api('/api/events?tenant=loc_b')).json().data).toHaveLength(2)
    const first = (await api('/api/events?limit=2')).json()
    const second = (await api(`/api/events?limit=2&cursor=${first.nextCursor}`)).json()
    const third = (await api(`/api/events?limit=2&cursor=${second.nextCursor}`)).json()
    expect([...first.data, ...second.data, ...third.data].map((e: { id: string }) => e.id)).toEqual(
      all.json().data.map((e: { id: string }) => e.id),
    )
    expect(third.nextCursor).toBeNull()
    expect(
      (await api(`/api/events?since=${new Date(Date.now() + 60_000).toISOString()}`)).json().data,
    ).toEqual([])
  })

  it('answers 400 invalid_request for a bad query, saying what is wrong', async () => {
    for (const query of ['limit=0', 'limit=9999', 'cursor=garbage', 'since=yesterday', 'schema=lost']) {
      const response = await api(`/api/events?${query}`)
      expect(response.statusCode, query).toBe(400)
      expect(response.json().error.code).toBe('invalid_request')
      expect(response.json().error.message).toContain(query.split('=')[0])
    }
  })

  it('shows one event with headers, verification, the parsed body and the exact bytes', async () => {
    const [summary] = (await api('/api/events?limit=1')).json().data
    const detail = (await api(`/api/events/${summary.id}`)).json()
    expect(detail).toMatchObject({
      id: summary.id,
      verification: { verified: true },
      body: { type: 'ContactCreate' },
      senderAnswer: {
        status: 200,
        retryPolicy: expect.stringMatching(/^GHL counts 200 as delivered: it does not retry/),
      },
    })
    expect(JSON.parse(Buffer.from(detail.rawBody, 'base64').toString())).toEqual(detail.body)
    expect(detail.headers['x-ghl-signature']).toMatch(/^sha256:/)
    const missing = await api('/api/events/evt_nope')
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('not_found')
  })

  it('shows a body sent with a byte-order mark parsed, as handlers get it', async () => {
    const contact = contactCreate({ locationId: 'loc_bom' })
    const payload = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(contact))])
    const accepted = await t.gateway.fastify.inject({
      method: 'POST',
      url: '/webhooks/ghl',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
      payload,
    })
    expect(accepted.statusCode).toBe(200)
    const detail = (await api(`/api/events/${accepted.json().eventId}`)).json()
    expect(detail).toMatchObject({ body: contact, bodyNote: null })
    expect(Buffer.from(detail.rawBody, 'base64').equals(payload)).toBe(true)
  })
})

describe('admin API without ADMIN_TOKEN', () => {
  it('does not exist (404) and says how to enable it', async () => {
    const t = await createTestApp('sqlite', { GHL_ED25519_PUBLIC_KEYS: key.spki })
    try {
      for (const url of ['/api/events', '/api/events/evt_x', '/metrics']) {
        const response = await t.gateway.fastify.inject({
          method: 'GET',
          url,
          headers: { authorization: 'Bearer x' },
        })
        expect(response.statusCode, url).toBe(404)
        expect(response.json().error.message).toContain('set ADMIN_TOKEN')
      }
    } finally {
      await t.close()
    }
  })
})
