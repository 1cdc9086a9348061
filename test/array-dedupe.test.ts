import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  createTestApp,
  ed25519Signature,
  type StoreKind,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'

/**
 * An array body is one request carrying several events (GHL's bulk SaaSPlanCreate; any sender's
 * batch): its dedupe key covers every item. Keyed by its first item alone, `[A, C]` after
 * `[A, B]` was answered `duplicate` and C was never stored. On both stores, through the webhook
 * route, for GHL (`webhookId` per item) and for a configured source (`idField` per item).
 */

const ed = testEd25519Key()
const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-array-dedupe-'))
const configPath = join(dir, 'ghl-gateway.config.yaml')
writeFileSync(
  configPath,
  `sources:
  - id: batch
    verify: { scheme: none }
    idField: event.id
`,
)

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe.each<StoreKind>(['sqlite', 'postgres'])('array bodies on %s', (kind) => {
  let t: TestApp
  const post = (url: string, body: unknown) => {
    const payload = JSON.stringify(body)
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (url === '/webhooks/ghl') headers['x-ghl-signature'] = ed25519Signature(ed.privateKey, payload)
    return t.gateway.fastify.inject({ method: 'POST', url, headers, payload })
  }
  const answer = async (url: string, body: unknown) => {
    const response = await post(url, body)
    expect(response.statusCode, response.body).toBe(200)
    return response.json() as { status: 'accepted' | 'duplicate'; eventId: string }
  }

  beforeAll(async () => {
    t = await createTestApp(kind, { GHL_ED25519_PUBLIC_KEYS: ed.spki, GATEWAY_CONFIG: configPath })
  })
  afterAll(async () => {
    await t.close()
  })

  /** One SaaSPlanCreate item; `webhookId: null` leaves the id out. */
  const plan = (planId: string, webhookId: string | null = randomUUID()) => ({
    type: 'SaasPlanCreate',
    companyId: 'comp_bulk',
    planId,
    timestamp: new Date().toISOString(),
    ...(webhookId === null ? {} : { webhookId }),
  })

  it('GHL: [A,B] then [A,C] stores both; [A,B] again (new timestamps) is a duplicate of the first', async () => {
    const [a, b, c] = [plan('a'), plan('b'), plan('c')]
    const ab = await answer('/webhooks/ghl', [a, b])
    const ac = await answer('/webhooks/ghl', [a, c])
    expect(ab.status).toBe('accepted')
    expect(ac.status).toBe('accepted')
    expect(ac.eventId).not.toBe(ab.eventId)

    const stored = await t.store.getEvent(ac.eventId)
    expect(JSON.parse(stored!.rawBody.toString()).map((p: { planId: string }) => p.planId)).toEqual([
      'a',
      'c',
    ])
    expect(stored).toMatchObject({
      dedupeKey: expect.stringMatching(/^items:sha256:[0-9a-f]{64}$/),
      // No single id names the request; each item carries its own in the body.
      webhookId: null,
      bodyFormat: 'array',
      eventName: 'SaaSPlanCreate',
      flags: [],
    })

    // GHL's retry of the same request carries the same webhookIds; other bytes may change.
    const retry = [a, b].map((p) => ({ ...p, timestamp: new Date(Date.now() + 1000).toISOString() }))
    expect(await answer('/webhooks/ghl', retry)).toEqual({ status: 'duplicate', eventId: ab.eventId })
    expect((await t.store.getEvent(ab.eventId))!.duplicateCount).toBe(1)
  })

  it('GHL: a one-item array is keyed by its webhookId, like the same event sent as an object', async () => {
    const a = plan('solo')
    const array = await answer('/webhooks/ghl', [a])
    expect(await t.store.getEvent(array.eventId)).toMatchObject({
      dedupeKey: a.webhookId,
      webhookId: a.webhookId,
    })
    expect(await answer('/webhooks/ghl', a)).toEqual({ status: 'duplicate', eventId: array.eventId })
  })

  it('GHL: an item without a usable webhookId makes the body hash the key, and is flagged', async () => {
    const a = plan('a')
    const first = [a, plan('b', null)]
    const second = [a, plan('c', 'has spaces')]
    const one = await answer('/webhooks/ghl', first)
    const two = await answer('/webhooks/ghl', second)
    expect(two.status).toBe('accepted')
    expect(await t.store.getEvent(one.eventId)).toMatchObject({
      dedupeKey: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
      webhookId: null,
      flags: ['no_webhook_id'],
    })
    expect((await t.store.getEvent(two.eventId))!.flags).toEqual(['invalid_webhook_id', 'no_webhook_id'])
    expect(await answer('/webhooks/ghl', first)).toEqual({ status: 'duplicate', eventId: one.eventId })
  })

  it('a source with idField: the field of every item is the key; [A,B] then [A,C] stores both', async () => {
    const item = (id: string, attempt = 1) => ({ event: { id }, attempt })
    const ab = await answer('/webhooks/batch', [item('a-1'), item('b-1')])
    const ac = await answer('/webhooks/batch', [item('a-1'), item('c-1')])
    expect(ab.status).toBe('accepted')
    expect(ac.status).toBe('accepted')
    expect(ac.eventId).not.toBe(ab.eventId)
    expect(await t.store.getEvent(ab.eventId)).toMatchObject({
      source: 'batch',
      dedupeKey: expect.stringMatching(/^items:sha256:[0-9a-f]{64}$/),
      webhookId: null,
      bodyFormat: 'array',
      flags: [],
    })
    // The sender's retry: the same ids, other bytes.
    const retry = await answer('/webhooks/batch', [item('a-1', 2), item('b-1', 2)])
    expect(retry).toEqual({ status: 'duplicate', eventId: ab.eventId })
    // The same ids in one object body and in a one-item array are the same event.
    const single = await answer('/webhooks/batch', item('d-1'))
    expect(await t.store.getEvent(single.eventId)).toMatchObject({ dedupeKey: 'd-1', webhookId: 'd-1' })
    expect(await answer('/webhooks/batch', [item('d-1', 2)])).toEqual({
      status: 'duplicate',
      eventId: single.eventId,
    })
  })
})
