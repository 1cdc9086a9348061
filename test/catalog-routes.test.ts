import { createPublicKey } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CATALOG, classifyGhlBody, freshFixture } from '../src/catalog/index.js'
import { loadConfig } from '../src/config/index.js'
import { keyId } from '../src/verify/index.js'
import {
  createTestApp,
  ed25519Signature,
  type StoreKind,
  type TestApp,
  testEd25519Key,
} from './support/test-app.js'

/**
 * The catalog's admin routes as the console uses them: traffic per event, the sample, and "send
 * this sample to this gateway" through the real receive path (signed with CONSOLE_SAMPLE_SIGNING_KEY,
 * verified, stored, classified), on both stores.
 */

const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-catalog-routes-'))
const trusted = testEd25519Key()
const keyFile = join(dir, 'sample.pem')
writeFileSync(keyFile, trusted.privateKey.export({ format: 'pem', type: 'pkcs8' }))
const sampleKeyId = keyId('ed25519', createPublicKey(trusted.privateKey))
const ADMIN = { authorization: 'Bearer catalog-admin' }
const env = { GHL_ED25519_PUBLIC_KEYS: trusted.spki, ADMIN_TOKEN: 'catalog-admin' }

describe.each<StoreKind>(['sqlite', 'postgres'])('catalog routes on %s', (kind) => {
  let withKey: TestApp
  let withoutKey: TestApp
  const get = (t: TestApp, url: string) => t.gateway.fastify.inject({ method: 'GET', url, headers: ADMIN })
  const send = (t: TestApp, name: string) =>
    t.gateway.fastify.inject({ method: 'POST', url: `/api/catalog/${name}/send`, headers: ADMIN })

  beforeAll(async () => {
    withKey = await createTestApp(kind, { ...env, CONSOLE_SAMPLE_SIGNING_KEY: keyFile })
    withoutKey = await createTestApp(kind, env)
  })
  afterAll(async () => {
    await withKey?.close()
    await withoutKey?.close()
  })

  it('an unknown name answers the typed not_found, on every catalog route', async () => {
    for (const response of [await get(withKey, '/api/catalog/ContactCreated'), await send(withKey, 'Nope')]) {
      expect(response.statusCode).toBe(404)
      expect(response.json().error).toMatchObject({
        code: 'not_found',
        message: expect.stringMatching(/GET \/api\/catalog/),
      })
    }
  })

  it('without CONSOLE_SAMPLE_SIGNING_KEY the detail says sending is off and a send answers sample_key_not_configured', async () => {
    const one = (await get(withoutKey, '/api/catalog/ContactCreate')).json()
    expect(one.sampleSending).toEqual({ enabled: false, keyId: null })
    expect(one.sample).toMatchObject({ type: 'ContactCreate' })
    const response = await send(withoutKey, 'ContactCreate')
    expect(response.statusCode).toBe(409)
    expect(response.json().error).toMatchObject({
      code: 'sample_key_not_configured',
      message: expect.stringMatching(/CONSOLE_SAMPLE_SIGNING_KEY/),
    })
  })

  it('a send signs a fresh sample and the receive path verifies, stores and classifies it; its traffic shows', async () => {
    const one = (await get(withKey, '/api/catalog/InvoicePaid')).json()
    expect(one.sampleSending).toEqual({ enabled: true, keyId: sampleKeyId })
    expect(one.stats).toMatchObject({ lastSeenAt: null, lastDay: 0 })

    const first = await send(withKey, 'InvoicePaid')
    expect(first.statusCode).toBe(200)
    expect(first.json()).toMatchObject({ status: 'accepted', keyId: sampleKeyId })
    // A fresh webhookId each time: the second send is a new event, not a duplicate.
    const second = (await send(withKey, 'InvoicePaid')).json()
    expect(second.status).toBe('accepted')
    expect(second.eventId).not.toBe(first.json().eventId)

    const stored = await withKey.store.getEvent(first.json().eventId)
    expect(stored).toMatchObject({
      source: 'ghl',
      eventName: 'InvoicePaid',
      eventType: 'invoice.paid',
      schemaStatus: 'valid',
      verification: { scheme: 'ghl-ed25519', verified: true, keyId: sampleKeyId },
      flags: [],
    })
    const detail = (await get(withKey, '/api/catalog/InvoicePaid')).json()
    expect(detail.stats).toMatchObject({ lastDay: 2, lastWeek: 2, driftLastWeek: 0 })
    expect(Date.parse(detail.stats.lastSeenAt)).toBeGreaterThan(Date.now() - 60_000)
  })

  it('an event whose sample the classifier cannot name by itself is named by the per-event URL', async () => {
    const needHint = CATALOG.filter((entry) => classifyGhlBody(freshFixture(entry.name)).name !== entry.name)
    expect(needHint.length).toBeGreaterThan(0)
    for (const { name } of needHint.slice(0, 5)) {
      const response = await send(withKey, name)
      expect(response.statusCode, name).toBe(200)
      expect((await withKey.store.getEvent(response.json().eventId))?.eventName).toBe(name)
    }
  })

  it('the list carries every event with its traffic, counted from webhooks like any other', async () => {
    const body = JSON.stringify(freshFixture('NoteCreate'))
    const webhook = await withoutKey.gateway.fastify.inject({
      method: 'POST',
      url: '/webhooks/ghl',
      payload: body,
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(trusted.privateKey, body),
      },
    })
    expect(webhook.statusCode).toBe(200)
    const list = (await get(withoutKey, '/api/catalog')).json()
    expect(list.data).toHaveLength(CATALOG.length)
    expect(list).toMatchObject({ countLimit: 10_000, driftLimitReached: false })
    const note = list.data.find((e: { name: string }) => e.name === 'NoteCreate')
    expect(note.stats).toMatchObject({ lastDay: 1, lastWeek: 1, driftLastWeek: 0 })
    expect(list.data.find((e: { name: string }) => e.name === 'TaskCreate').stats).toEqual({
      lastSeenAt: null,
      lastDay: 0,
      lastWeek: 0,
      driftLastWeek: 0,
    })
  })
})

describe('CONSOLE_SAMPLE_SIGNING_KEY at boot', () => {
  it('refuses a key the gateway does not trust, naming the list to add it to', () => {
    expect(() => loadConfig({ env: { CONSOLE_SAMPLE_SIGNING_KEY: keyFile }, cwd: dir })).toThrow(
      /CONSOLE_SAMPLE_SIGNING_KEY signs as ed25519:[0-9a-f]{12}, which this gateway does not trust: add its public key to GHL_ED25519_PUBLIC_KEYS/,
    )
  })

  it('refuses a missing file and a file that is no private key, without quoting it', () => {
    expect(() =>
      loadConfig({ env: { CONSOLE_SAMPLE_SIGNING_KEY: join(dir, 'absent.pem') }, cwd: dir }),
    ).toThrow(/CONSOLE_SAMPLE_SIGNING_KEY: cannot read .*absent\.pem \(ENOENT\)/)
    const notAKey = join(dir, 'public.pem')
    writeFileSync(notAKey, 'SECRET-LOOKING TEXT')
    let message = ''
    try {
      loadConfig({ env: { CONSOLE_SAMPLE_SIGNING_KEY: notAKey }, cwd: dir })
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).toMatch(/is not a PEM private key/)
    expect(message).not.toMatch(/SECRET-LOOKING/)
  })

  it('a misspelt name is pointed at the right one', () => {
    const config = loadConfig({ env: { CONSOLE_SAMPLE_SIGNING_KY: keyFile }, cwd: dir })
    expect(JSON.stringify(config.warnings)).toMatch(/CONSOLE_SAMPLE_SIGNING_KEY/)
  })
})
