import { request as httpRequest } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  contactCreate,
  createTestApp,
  ed25519Signature,
  rsaSignature,
  type StoreKind,
  type TestApp,
  testEd25519Key,
  testRsaKey,
} from './support/test-app.js'

/**
 * POST /webhooks/ghl end to end on both stores: signatures on raw bytes, store before ack,
 * duplicates, and every GHL-facing error answer. Each test checks what was (not) stored.
 */

const ed = testEd25519Key()
const rotated = testEd25519Key()
const rsa = testRsaKey()
const env = {
  GHL_ED25519_PUBLIC_KEYS: `${ed.spki},${rotated.spki}`,
  GHL_RSA_PUBLIC_KEYS: rsa.spki,
  ADMIN_TOKEN: 'admin-token-for-tests',
}

function signed(body: string | Buffer, key = ed.privateKey) {
  return { 'content-type': 'application/json', 'x-ghl-signature': ed25519Signature(key, body) }
}

describe.each<StoreKind>(['sqlite', 'postgres'])('GHL ingest on %s', (kind) => {
  let t: TestApp
  const post = (payload: string | Buffer, headers: Record<string, string>, url = '/webhooks/ghl') =>
    t.gateway.fastify.inject({ method: 'POST', url, headers, payload })
  const countRows = async () => (await t.store.listEvents({}, { limit: 500 })).items.length

  beforeAll(async () => {
    t = await createTestApp(kind, env)
  })
  afterAll(async () => {
    await t.close()
  })

  it('stores a signed webhook before answering 200 accepted, with the exact bytes', async () => {
    const body = JSON.stringify(contactCreate())
    const response = await post(body, signed(body))
    expect(response.statusCode).toBe(200)
    const answer = response.json()
    expect(answer).toEqual({ status: 'accepted', eventId: expect.stringMatching(/^evt_[0-9A-Z]{26}$/) })

    const stored = await t.store.getEvent(answer.eventId)
    expect(stored!.rawBody.toString()).toBe(body)
    expect(stored).toMatchObject({
      source: 'ghl',
      ghlType: 'ContactCreate',
      locationId: 've9EPM428h8vShlRW1KT',
      webhookId: JSON.parse(body).webhookId,
      dedupeKey: JSON.parse(body).webhookId,
      verification: {
        scheme: 'ghl-ed25519',
        verified: true,
        keyId: expect.stringMatching(/^ed25519:[0-9a-f]{12}$/),
      },
      eventName: 'ContactCreate',
      eventType: 'contact.created',
      entityKind: 'contact',
      entityId: 'nmFmQEsNgz6AVpgLVUJ0',
      schemaStatus: 'valid',
      bodyFormat: 'flat',
      sentAt: JSON.parse(body).timestamp,
      flags: [],
    })
    // The signature itself is a credential-like value: only its fingerprint is kept.
    expect(stored!.headers['x-ghl-signature']).toMatch(/^sha256:[0-9a-f]{16}$/)
    expect(JSON.stringify(stored!.headers)).not.toContain(signed(body)['x-ghl-signature'])
  })

  it('verifies the raw bytes, not a re-serialisation (whitespace, escapes, key order)', async () => {
    const body = `{\n  "webhookId" : "${crypto.randomUUID()}",\n  "type":"ContactCreate",\n  "name": "Ren\\u00e9e \\/ Z\u00f6e",\n  "locationId": "loc_ws" }\n`
    const response = await post(body, signed(body))
    expect(response.statusCode).toBe(200)
    const stored = await t.store.getEvent(response.json().eventId)
    expect(stored!.rawBody.toString()).toBe(body)
    expect(JSON.stringify(JSON.parse(body))).not.toBe(body)
  })

  it('answers a repeated webhookId with 200 duplicate and the first event id, storing it once', async () => {
    const body = JSON.stringify(contactCreate())
    const first = (await post(body, signed(body))).json()
    const rows = await countRows()
    // GHL's retries carry the same webhookId; the bytes may differ (e.g. a new timestamp).
    const retry = JSON.stringify({ ...JSON.parse(body), timestamp: new Date().toISOString() })
    const second = await post(retry, signed(retry))
    expect(second.statusCode).toBe(200)
    expect(second.json()).toEqual({ status: 'duplicate', eventId: first.eventId })
    expect(await countRows()).toBe(rows)
    expect((await t.store.getEvent(first.eventId))!.duplicateCount).toBe(1)
  })

  it('stores exactly one row for 50 simultaneous copies over real sockets', async () => {
    await t.gateway.fastify.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.gateway.fastify.server.address() as AddressInfo
    const body = JSON.stringify(contactCreate())
    const headers = signed(body)
    const send = () =>
      new Promise<{ status: number; json: { status: string; eventId: string } }>((resolve, reject) => {
        const req = httpRequest(
          { host: '127.0.0.1', port, method: 'POST', path: '/webhooks/ghl', headers },
          (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c) => chunks.push(c))
            res.on('end', () =>
              resolve({ status: res.statusCode!, json: JSON.parse(Buffer.concat(chunks).toString()) }),
            )
          },
        )
        req.on('error', reject)
        req.end(body)
      })
    const answers = await Promise.all(Array.from({ length: 50 }, send))
    expect(answers.every((a) => a.status === 200)).toBe(true)
    expect(answers.filter((a) => a.json.status === 'accepted')).toHaveLength(1)
    expect(new Set(answers.map((a) => a.json.eventId)).size).toBe(1)
    const rows = await t.store.listEvents({ webhookId: JSON.parse(body).webhookId }, { limit: 100 })
    expect(rows.items).toHaveLength(1)
    expect(rows.items[0]!.duplicateCount).toBe(49)
  })

  it('accepts the legacy RSA X-WH-Signature when X-GHL-Signature is absent or N/A', async () => {
    for (const edHeader of [undefined, 'N/A']) {
      const body = JSON.stringify(contactCreate())
      const headers: Record<string, string> = {
        'content-type': 'application/json; charset=utf-8',
        'x-wh-signature': rsaSignature(rsa.privateKey, body),
      }
      if (edHeader) headers['x-ghl-signature'] = edHeader
      const response = await post(body, headers)
      expect(response.statusCode).toBe(200)
      const stored = await t.store.getEvent(response.json().eventId)
      expect(stored!.verification).toMatchObject({ scheme: 'ghl-rsa', verified: true })
    }
  })

  it('trusts every configured key (rotation) and records which one matched', async () => {
    const keyIds = new Set<string>()
    for (const key of [ed.privateKey, rotated.privateKey]) {
      const body = JSON.stringify(contactCreate())
      const response = await post(body, signed(body, key))
      expect(response.statusCode).toBe(200)
      keyIds.add((await t.store.getEvent(response.json().eventId))!.verification.keyId!)
    }
    expect(keyIds.size).toBe(2)
  })

  it('rejects absent, N/A and wrong signatures with 401 and stores nothing', async () => {
    const body = JSON.stringify(contactCreate())
    const before = await countRows()
    const cases: [Record<string, string>, string][] = [
      [{ 'content-type': 'application/json' }, 'missing_signature'],
      [
        { 'content-type': 'application/json', 'x-ghl-signature': 'N/A', 'x-wh-signature': 'N/A' },
        'missing_signature',
      ],
      [{ ...signed(`${body} `) }, 'invalid_signature'],
      [{ ...signed(body, testEd25519Key().privateKey) }, 'invalid_signature'],
      // A valid RSA signature does not rescue an invalid Ed25519 one: Ed25519 decides alone.
      [{ ...signed(`${body} `), 'x-wh-signature': rsaSignature(rsa.privateKey, body) }, 'invalid_signature'],
    ]
    for (const [headers, code] of cases) {
      const response = await post(body, headers)
      expect(response.statusCode, code).toBe(401)
      expect(response.json().error).toMatchObject({ code, requestId: expect.any(String) })
      expect(response.json().error.message.length).toBeGreaterThan(20)
    }
    expect(await countRows()).toBe(before)
  })
})

describe('GHL ingest: bad input and answers', () => {
  let t: TestApp
  const post = (payload: string | Buffer, headers: Record<string, string>, url = '/webhooks/ghl') =>
    t.gateway.fastify.inject({ method: 'POST', url, headers, payload })
  const countRows = async () => (await t.store.listEvents({}, { limit: 500 })).items.length

  beforeAll(async () => {
    t = await createTestApp('sqlite', { ...env, MAX_BODY_BYTES: '2048' })
  })
  afterAll(async () => {
    await t.close()
  })

  it('answers invalid_json with the position of the error, after the signature passed', async () => {
    const body = '{"type": "ContactCreate",\n "webhookId": }'
    const response = await post(body, signed(body))
    expect(response.statusCode).toBe(400)
    expect(response.json().error).toMatchObject({
      code: 'invalid_json',
      message: expect.stringContaining('line 2, column 15'),
      details: { line: 2, column: 15, offset: 40 },
    })
  })

  it('rejects bodies that are not UTF-8, empty, or not an object/array', async () => {
    for (const [body, code] of [
      [Buffer.from([0x7b, 0xff, 0x7d]), 'invalid_json'],
      ['', 'invalid_json'],
      ['   ', 'invalid_json'],
      ['42', 'invalid_payload'],
      ['"text"', 'invalid_payload'],
      ['null', 'invalid_payload'],
    ] as const) {
      const response = await post(body, signed(body))
      expect(response.statusCode, String(body)).toBe(400)
      expect(response.json().error.code).toBe(code)
    }
  })

  it('accepts a UTF-8 byte-order mark, array bodies and the data-wrapped test format', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(contactCreate()))])
    expect((await post(bom, signed(bom))).statusCode).toBe(200)

    const plans = JSON.stringify([
      { type: 'SaasPlanCreate', companyId: 'comp_9', planId: 'p1', webhookId: crypto.randomUUID() },
    ])
    const array = await post(plans, signed(plans))
    expect(array.statusCode).toBe(200)
    expect(await t.store.getEvent(array.json().eventId)).toMatchObject({
      ghlType: 'SaasPlanCreate',
      companyId: 'comp_9',
    })

    const wrapped = JSON.stringify({ type: 'ContactCreate', data: { locationId: 'loc_wrapped', id: 'c1' } })
    const response = await post(wrapped, signed(wrapped))
    expect(await t.store.getEvent(response.json().eventId)).toMatchObject({
      locationId: 'loc_wrapped',
      flags: ['no_webhook_id'],
    })
  })

  it('resolves the tenant: locationId, else altId for altType location, else companyId', async () => {
    const invoice = JSON.stringify({
      _id: 'inv_1',
      altId: 'loc_alt',
      altType: 'location',
      webhookId: 'w-inv-1',
    })
    const response = await post(invoice, signed(invoice))
    expect(await t.store.getEvent(response.json().eventId)).toMatchObject({
      locationId: 'loc_alt',
      ghlType: null,
    })
  })

  it('falls back to a hash of the body when there is no usable webhookId, and flags it', async () => {
    const body = JSON.stringify({ type: 'ContactCreate', webhookId: 'has spaces and \u0000 controls' })
    const first = await post(body, signed(body))
    expect(first.json().status).toBe('accepted')
    const stored = await t.store.getEvent(first.json().eventId)
    expect(stored!.dedupeKey).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(stored!.flags).toEqual(['invalid_webhook_id', 'no_webhook_id', 'schema_drift'])
    // Identical bytes again: the same event.
    expect((await post(body, signed(body))).json()).toEqual({
      status: 'duplicate',
      eventId: first.json().eventId,
    })
  })

  it('keeps the event name of a per-event URL for bodies without a type', async () => {
    const body = JSON.stringify({ _id: 'inv_2', altId: 'loc_1', altType: 'location', webhookId: 'w-inv-2' })
    const response = await post(body, signed(body), '/webhooks/ghl/InvoicePaid')
    expect(response.statusCode).toBe(200)
    expect((await t.store.getEvent(response.json().eventId))!.eventHint).toBe('InvoicePaid')
    const bad = await post(body, signed(body), '/webhooks/ghl/not-an-event!')
    expect(bad.statusCode).toBe(404)
    expect(bad.json().error.code).toBe('not_found')
  })

  it('answers 413 payload_too_large before reading a declared oversize body, and for chunked bodies', async () => {
    const big = JSON.stringify({ ...contactCreate(), padding: 'x'.repeat(4096) })
    const response = await post(big, signed(big))
    expect(response.statusCode).toBe(413)
    expect(response.json().error.code).toBe('payload_too_large')

    await t.gateway.fastify.listen({ port: 0, host: '127.0.0.1' })
    const { port } = t.gateway.fastify.server.address() as AddressInfo
    const chunked = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/webhooks/ghl',
          headers: { ...signed(big), 'transfer-encoding': 'chunked' },
        },
        (res) => {
          let text = ''
          res.on('data', (c) => {
            text += c
          })
          res.on('end', () => resolve({ status: res.statusCode!, body: text }))
        },
      )
      req.on('error', reject)
      for (let i = 0; i < big.length; i += 512) req.write(big.slice(i, i + 512))
      req.end()
    })
    expect(chunked.status).toBe(413)
    expect(JSON.parse(chunked.body).error.code).toBe('payload_too_large')
  })

  it('answers 415 for other media types, including form bodies on the GHL route', async () => {
    const body = JSON.stringify(contactCreate())
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
      const response = await post(body, { ...signed(body), 'content-type': contentType })
      expect(response.statusCode, contentType).toBe(415)
      expect(response.json().error.code).toBe('unsupported_media_type')
    }
    const none = await t.gateway.fastify.inject({ method: 'POST', url: '/webhooks/ghl', payload: undefined })
    expect(none.statusCode).toBe(415)
  })

  it('answers 404 unknown_source, 405 for GET on a webhook URL, and 404 for unknown routes', async () => {
    const body = JSON.stringify(contactCreate())
    const unknown = await post(body, signed(body), '/webhooks/stripe')
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().error.code).toBe('unknown_source')
    const get = await t.gateway.fastify.inject({ method: 'GET', url: '/webhooks/ghl' })
    expect(get.statusCode).toBe(405)
    expect(get.headers.allow).toBe('POST')
    expect(get.json().error.code).toBe('method_not_allowed')
    const missing = await t.gateway.fastify.inject({ method: 'GET', url: '/nothing/here' })
    expect(missing.statusCode).toBe(404)
    expect(missing.json().error.code).toBe('not_found')
  })

  it('echoes a sane X-Request-Id and makes one up otherwise', async () => {
    const body = JSON.stringify(contactCreate())
    const given = await post(body, { ...signed(body), 'x-request-id': 'trace-123' })
    expect(given.headers['x-request-id']).toBe('trace-123')
    const hostile = await post(body, { ...signed(body), 'x-request-id': '<script>' })
    expect(hostile.headers['x-request-id']).toMatch(/^req_/)
  })

  it('stores nothing for any rejected request', async () => {
    const before = await countRows()
    await post('{bad', signed('{bad'))
    await post('{}', { 'content-type': 'application/json' })
    await post('{}', { ...signed('{}'), 'content-type': 'text/plain' })
    expect(await countRows()).toBe(before)
  })
})

describe('GHL ingest: readiness, draining, back-pressure, storage failure', () => {
  it('serves liveness and readiness, and the GHL readiness check with the version', async () => {
    const t = await createTestApp('sqlite', env)
    try {
      const inject = (url: string) => t.gateway.fastify.inject({ method: 'GET', url })
      expect((await inject('/healthz')).statusCode).toBe(200)
      expect((await inject('/readyz')).json()).toMatchObject({ status: 'ready', store: 'sqlite' })
      const verify = await inject('/webhooks/ghl/verify')
      expect(verify.statusCode).toBe(200)
      expect(verify.json()).toEqual({ status: 'ready', version: expect.stringMatching(/^\d+\.\d+\.\d+/) })
    } finally {
      await t.close()
    }
  })

  it('answers 503 shutting_down and readiness 503 while draining', async () => {
    const t = await createTestApp('sqlite', env)
    try {
      t.gateway.beginDrain()
      const body = JSON.stringify(contactCreate())
      const response = await t.gateway.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        headers: signed(body),
        payload: body,
      })
      expect(response.statusCode).toBe(503)
      expect(response.json().error.code).toBe('shutting_down')
      expect(response.headers['retry-after']).toBe('5')
      expect((await t.gateway.fastify.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503)
      expect((await t.store.listEvents({}, { limit: 10 })).items).toHaveLength(0)
    } finally {
      await t.close()
    }
  })

  it('answers 503 storage_unavailable (never 200) when the commit fails, and readiness says so', async () => {
    const t = await createTestApp('sqlite', env)
    try {
      await t.store.close()
      const body = JSON.stringify(contactCreate())
      const response = await t.gateway.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        headers: signed(body),
        payload: body,
      })
      expect(response.statusCode).toBe(503)
      expect(response.json().error.code).toBe('storage_unavailable')
      expect(response.headers['retry-after']).toBe('5')
      const ready = await t.gateway.fastify.inject({ method: 'GET', url: '/webhooks/ghl/verify' })
      expect(ready.statusCode).toBe(503)
      expect(ready.json().error.code).toBe('storage_unavailable')
      // The failed commit itself is remembered, whatever the readiness probe's own write does.
      expect(t.gateway.ingestor.recentStorageFailure(Date.now())).toMatch(/not open/)
      expect(t.gateway.ingestor.recentStorageFailure(Date.now() + 11_000)).toBeUndefined()
    } finally {
      await t.close()
    }
  })
})

describe('GHL_SIGNATURE_MODE=off', () => {
  it('accepts unsigned webhooks as unverified, flagged, with a loud log line', async () => {
    const t = await createTestApp('sqlite', { GHL_SIGNATURE_MODE: 'off' })
    try {
      const body = JSON.stringify(contactCreate())
      const response = await t.gateway.fastify.inject({
        method: 'POST',
        url: '/webhooks/ghl',
        headers: { 'content-type': 'application/json', 'x-ghl-signature': 'N/A' },
        payload: body,
      })
      expect(response.statusCode).toBe(200)
      const stored = await t.store.getEvent(response.json().eventId)
      expect(stored!.verification).toMatchObject({ verified: false, failure: 'missing_signature' })
      expect(stored!.flags).toContain('unverified')
      const line = t.logs.json().find((l) => l.eventId === response.json().eventId)!
      expect(line).toMatchObject({ level: 40, unverified: true })
      expect(String(line.msg)).toMatch(/WITHOUT a valid signature/)
    } finally {
      await t.close()
    }
  })
})
