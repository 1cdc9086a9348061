import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { byName, CATALOG, classifyGhlBody, createTypeMapper, freshFixture } from '../src/catalog/index.js'
import { envelopeOf } from '../src/deliver/envelope.js'
import {
  createTestApp,
  ed25519Signature,
  type StoreKind,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'

/**
 * Every catalog entry's fixture goes through the real endpoint into the real store and comes back
 * classified as that entry, on both stores; then the traps that a naive `switch (body.type)` gets
 * wrong, unknown and drifted events (kept, flagged, counted), and renames.
 */

const key = testEd25519Key()
const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-catalog-'))
const configPath = join(dir, 'ghl-gateway.config.yaml')
writeFileSync(
  configPath,
  'renames:\n  contact.created: myapp.contact.ingested\n  contact.updated: myapp.contact.ingested\n',
)
const env = { GHL_ED25519_PUBLIC_KEYS: key.spki, ADMIN_TOKEN: 'catalog-admin', GATEWAY_CONFIG: configPath }

/** Events GHL documents without a `type`: the fixture needs a per-event URL to be named. */
const needsHint = (name: string) => classifyGhlBody(freshFixture(name as never)).name !== name

describe.each<StoreKind>(['sqlite', 'postgres'])('catalog round trip on %s', (kind) => {
  let t: TestApp
  const send = (body: unknown, url = '/webhooks/ghl') => {
    const payload = JSON.stringify(body)
    return t.gateway.fastify.inject({
      method: 'POST',
      url,
      payload,
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
    })
  }

  beforeAll(async () => {
    t = await createTestApp(kind, env)
  })
  afterAll(async () => {
    await t.close()
  })

  it('stores and classifies the fixture of every one of the 77 events', async () => {
    expect(CATALOG).toHaveLength(77)
    for (const entry of CATALOG) {
      const fixture = freshFixture(entry.name)
      const url = needsHint(entry.name) ? `/webhooks/ghl/${entry.name}` : '/webhooks/ghl'
      const response = await send(fixture, url)
      expect(response.statusCode, entry.name).toBe(200)
      const stored = (await t.store.getEvent(response.json().eventId))!
      expect(stored, entry.name).toMatchObject({
        eventName: entry.name,
        eventType: entry.canonical,
        entityKind: entry.entity.kind,
        schemaStatus: 'valid',
        webhookId: (Array.isArray(fixture) ? fixture[0]! : fixture).webhookId,
      })
      expect(stored.entityId, entry.name).toBeTruthy()
      expect(stored.locationId ?? stored.companyId, `${entry.name} tenant`).toBeTruthy()
      // The envelope downstream code gets: the original body, untouched.
      const envelope = envelopeOf(stored, createTypeMapper())
      expect(envelope.data, entry.name).toEqual(fixture)
      expect(envelope.name).toBe(entry.name)
      expect(envelope.type).toBe(entry.canonical)
    }
    const counted = await t.gateway.metrics.registry.getSingleMetricAsString(
      'ghl_gateway_events_classified_total',
    )
    expect(counted).toContain('name="ContactCreate",schema="valid"} 1')
  })

  it('routes the type traps: INSTALL, UPDATE, SaasPlanCreate arrays, SMS, price kinds, unread', async () => {
    const cases: [unknown, string, string?][] = [
      [freshFixture('AppInstall'), 'app.installed'],
      [freshFixture('AppUpdate'), 'app.updated'],
      [freshFixture('SaaSPlanCreate'), 'saas_plan.created'],
      [{ ...freshFixture('ProviderOutboundMessage'), type: 'Email' }, 'message.provider_outbound'],
      [freshFixture('ConversationUnreadWebhook'), 'conversation.unread_changed'],
      // `one_time` is a price kind: without a per-event URL it is unknown (never guessed as an update).
      [freshFixture('PriceDelete'), 'unknown'],
      [freshFixture('PriceDelete'), 'price.deleted', '/webhooks/ghl/PriceDelete'],
      // Documented without a type: the family is noted, the name needs the URL.
      [freshFixture('InvoicePaid'), 'unknown'],
    ]
    for (const [body, type, url] of cases) {
      const response = await send(body, url)
      expect(response.statusCode).toBe(200)
      const stored = (await t.store.getEvent(response.json().eventId))!
      expect(stored.eventType, `${type} ${url ?? ''}`).toBe(type)
    }
  })

  it('keeps unknown and drifted events, flags them, and never rejects them', async () => {
    const unknown = await send({
      type: 'ContactMerge',
      id: 'c1',
      locationId: 'L1',
      webhookId: crypto.randomUUID(),
    })
    expect(unknown.statusCode).toBe(200)
    expect(await t.store.getEvent(unknown.json().eventId)).toMatchObject({
      eventName: 'unknown',
      eventType: 'unknown',
      ghlType: 'ContactMerge',
      schemaStatus: 'unknown',
      entityId: 'c1',
      locationId: 'L1',
    })

    const drifted = await send({ ...freshFixture('ContactTagUpdate'), tags: 'vip' })
    expect(drifted.statusCode).toBe(200)
    const stored = (await t.store.getEvent(drifted.json().eventId))!
    expect(stored).toMatchObject({ eventName: 'ContactTagUpdate', schemaStatus: 'drift' })
    expect(stored.flags).toContain('schema_drift')
    expect(stored.classification!.issues[0]).toMatchObject({ path: 'tags' })
    const metric = await t.gateway.metrics.registry.getSingleMetricAsString(
      'ghl_gateway_events_classified_total',
    )
    expect(metric).toContain('name="ContactTagUpdate",schema="drift"} 1')
    expect(metric).toContain('name="unknown",schema="unknown"')

    // Control characters a signed body may still carry are kept out of indexed columns.
    const nul = await send({ type: 'Contact\u0000Create', id: 'c\u0000', webhookId: crypto.randomUUID() })
    expect(nul.statusCode).toBe(200)
    expect((await t.store.getEvent(nul.json().eventId))!.flags).toEqual(
      expect.arrayContaining(['invalid_type', 'invalid_entity_id']),
    )
  })

  it('accepts the data-wrapped test format and records it', async () => {
    const response = await send({
      type: 'ContactCreate',
      data: { id: 'c9', locationId: 'L9', email: 'a@b.c' },
    })
    expect(await t.store.getEvent(response.json().eventId)).toMatchObject({
      eventName: 'ContactCreate',
      bodyFormat: 'data-wrapped',
      entityId: 'c9',
      locationId: 'L9',
    })
  })

  it('lists by published type (renames merge events), entity, tenant and schema status', async () => {
    const api = (query: string) =>
      t.gateway.fastify.inject({
        method: 'GET',
        url: `/api/events?${query}`,
        headers: { authorization: 'Bearer catalog-admin' },
      })
    const contact = freshFixture('ContactUpdate', { id: 'entity-42' })
    await send(contact)
    const renamed = (await api('type=myapp.contact.ingested&limit=500')).json().data
    expect(renamed.length).toBeGreaterThanOrEqual(3)
    expect(new Set(renamed.map((e: { type: string }) => e.type))).toEqual(new Set(['myapp.contact.ingested']))
    expect(new Set(renamed.map((e: { name: string }) => e.name))).toEqual(
      new Set(['ContactCreate', 'ContactUpdate']),
    )
    expect((await api('entityId=entity-42')).json().data).toHaveLength(1)
    expect((await api('schema=drift')).json().data.map((e: { name: string }) => e.name)).toContain(
      'ContactTagUpdate',
    )
    expect(
      (await api(`tenant=${(contact as { locationId: string }).locationId}&limit=500`)).json().data.length,
    ).toBeGreaterThan(0)
  })

  it('serves the catalog with renames applied and a JSON Schema per event', async () => {
    const get = (url: string) =>
      t.gateway.fastify.inject({ method: 'GET', url, headers: { authorization: 'Bearer catalog-admin' } })
    const list = (await get('/api/catalog')).json().data
    expect(list).toHaveLength(77)
    expect(list.find((e: { name: string }) => e.name === 'ContactCreate')).toMatchObject({
      canonical: 'contact.created',
      type: 'myapp.contact.ingested',
      typeValues: ['ContactCreate'],
    })
    const one = (await get('/api/catalog/OpportunityStageUpdate')).json()
    expect(one.schema.properties).toHaveProperty('pipelineStageId')
    expect(byName('OpportunityStageUpdate')!.canonical).toBe('opportunity.stage_changed')
    expect((await get('/api/catalog/Nope')).statusCode).toBe(404)
  })
})

describe('renames in the config file', () => {
  it('refuses a rename of a name that is not canonical, suggesting the nearest', async () => {
    const bad = join(dir, 'bad.yaml')
    writeFileSync(bad, 'renames:\n  contact.create: x.y\n')
    await expect(createTestApp('sqlite', { GATEWAY_CONFIG: bad })).rejects.toThrow(
      /did you mean "contact.created"/,
    )
  })
})
