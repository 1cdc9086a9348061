import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  contactCreate,
  createTestApp,
  ed25519Signature,
  type StoreKind,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'

/** GET /api/entities/:kind/:id/timeline: one contact's events in order, with field-level diffs. */

const key = testEd25519Key()
const ADMIN = 'admin-secret-token-1234567890'
const CONTACT = 'tl_contact_1'

describe.each<StoreKind>(['sqlite', 'postgres'])('GET /api/entities/:kind/:id/timeline (%s)', (kind) => {
  let t: TestApp
  const get = (url: string) =>
    t.gateway.fastify.inject({ method: 'GET', url, headers: { authorization: `Bearer ${ADMIN}` } })
  const send = async (body: Record<string, unknown>) => {
    const payload = JSON.stringify(body)
    const answer = await t.gateway.fastify.inject({
      method: 'POST',
      url: '/webhooks/ghl',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
      payload,
    })
    expect(answer.statusCode).toBe(200)
  }
  const update = (fields: Record<string, unknown>) =>
    contactCreate({ type: 'ContactUpdate', id: CONTACT, webhookId: crypto.randomUUID(), ...fields })

  beforeAll(async () => {
    t = await createTestApp(kind, { GHL_ED25519_PUBLIC_KEYS: key.spki, ADMIN_TOKEN: ADMIN })
    await send(update({ email: 'a@x.io', tags: ['lead'], customFields: [{ id: 'f1', value: 'gold' }] }))
    await send(contactCreate({ id: 'someone_else', webhookId: crypto.randomUUID() }))
    await send(
      update({ email: 'b@x.io', tags: ['lead', 'vip'], customFields: [{ id: 'f1', value: 'gold' }] }),
    )
    await send(
      update({
        email: 'b@x.io',
        tags: ['vip'],
        customFields: [{ id: 'f1', value: '<img src=x onerror=alert(1)>' }],
      }),
    )
  })
  afterAll(async () => {
    await t?.close()
  })

  it("lists the contact's events oldest first, each with what changed since the one before", async () => {
    const answer = await get(`/api/entities/contact/${CONTACT}/timeline`)
    expect(answer.statusCode).toBe(200)
    const page = answer.json()
    expect(page.entity).toEqual({ kind: 'contact', id: CONTACT })
    expect(page.data).toHaveLength(3)
    expect(page.nextCursor).toBeNull()
    expect(page.data.map((item: { event: { name: string } }) => item.event.name)).toEqual([
      'ContactUpdate',
      'ContactUpdate',
      'ContactUpdate',
    ])
    expect(page.data[0].diff).toBeNull()
    expect(page.data[0].diffNote).toMatch(/first event/)
    expect(page.data[1].diff.changes).toEqual([
      { path: 'email', change: 'changed', before: '"a@x.io"', after: '"b@x.io"' },
      { path: 'tags[]', change: 'added', after: '"vip"' },
    ])
    expect(page.data[1].diff.volatile.map((c: { path: string }) => c.path)).toContain('webhookId')
    expect(page.data[2].diff.changes).toEqual([
      { path: 'tags[]', change: 'removed', before: '"lead"' },
      {
        path: 'customFields[id="f1"].value',
        change: 'changed',
        before: '"gold"',
        after: '"<img src=x onerror=alert(1)>"',
      },
    ])
  })

  it('pages by cursor, comparing the first event of a page with the last of the one before', async () => {
    const first = (await get(`/api/entities/contact/${CONTACT}/timeline?limit=2`)).json()
    expect(first.data).toHaveLength(2)
    expect(first.nextCursor).toEqual(expect.any(String))
    const second = (
      await get(`/api/entities/contact/${CONTACT}/timeline?limit=2&cursor=${first.nextCursor}`)
    ).json()
    expect(second.data).toHaveLength(1)
    expect(second.nextCursor).toBeNull()
    expect(second.data[0].diff.changes[0]).toEqual({ path: 'tags[]', change: 'removed', before: '"lead"' })
  })

  it('answers an empty page for an unknown entity or another kind, and refuses bad input', async () => {
    expect((await get('/api/entities/contact/nobody/timeline')).json().data).toEqual([])
    expect((await get(`/api/entities/opportunity/${CONTACT}/timeline`)).json().data).toEqual([])
    const bad = await get(`/api/entities/contact/${CONTACT}/timeline?limit=51`)
    expect(bad.statusCode).toBe(400)
    expect(bad.json().error.code).toBe('invalid_request')
    expect((await get(`/api/entities/contact/${CONTACT}/timeline?cursor=nope`)).statusCode).toBe(400)
    const anonymous = await t.gateway.fastify.inject({
      method: 'GET',
      url: `/api/entities/contact/${CONTACT}/timeline`,
    })
    expect(anonymous.statusCode).toBe(401)
  })
})
