import { request as httpRequest } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createGateway, type Gateway } from '../src/index.js'
import { freshSqliteFile } from './support/databases.js'
import { MOUNTS, type MountedApp } from './support/mounted-apps.js'
import { contactCreate, ed25519Signature, testEd25519Key } from './support/test-app.js'

/**
 * One suite, run through every way of receiving webhooks (support/mounted-apps.ts): the gateway's
 * own server and each adapter mounted in an application with routes of its own. Whatever received
 * the request, the answers, what is stored, what runs and what is counted must be the same.
 */

const key = testEd25519Key()
const MAX_BODY_BYTES = 4096

interface Sent {
  status: number
  headers: Headers
  body: { status?: string; eventId?: string; error?: { code: string; message: string; requestId: string } }
}

async function post(
  base: string,
  path: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })
  const text = await response.text()
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} }
}

const signed = (body: string) => ({ 'x-ghl-signature': ed25519Signature(key.privateKey, body) })

/** A chunked body (no Content-Length), so the limit can only be found while reading. */
function postChunked(base: string, path: string, chunks: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base)
    const request = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
      },
      (response) => {
        response.resume()
        resolve(response.statusCode ?? 0)
      },
    )
    request.on('error', reject)
    for (const chunk of chunks) request.write(chunk)
    request.end()
  })
}

describe.each(MOUNTS)('$name', (mount) => {
  const file = freshSqliteFile()
  const handled: string[] = []
  let release: () => void = () => {}
  const blocked = new Promise<void>((resolve) => {
    release = resolve
  })
  let gw: Gateway
  let app: MountedApp
  let early: Sent | undefined

  const countEvents = async () => (await gw.running!.store.listEvents({}, { limit: 100 })).items.length

  beforeAll(async () => {
    gw = createGateway({
      database: file.url,
      env: {
        GHL_ED25519_PUBLIC_KEYS: key.spki,
        LOG_LEVEL: 'silent',
        MAX_BODY_BYTES: String(MAX_BODY_BYTES),
        // The third undelivered event is refused (the handler holds `blocked` ones back).
        BACKPRESSURE_HIGH_WATER: '3',
      },
    })
    gw.on('ContactCreate', async (event) => {
      handled.push(String(event.data.id))
      if (event.data.id === 'hold') await blocked
    })
    app = await mount.mount(gw)
    if (!mount.startsGateway) {
      const body = JSON.stringify(contactCreate({ id: 'early' }))
      early = await post(app.base, '/webhooks/ghl', body, signed(body))
      await gw.start()
    }
  })
  afterAll(async () => {
    release()
    await gw?.close()
    await app?.close()
    file.remove()
  })

  it.skipIf(mount.startsGateway)(
    'answers 503 not_started before gw.start(), and nothing is stored',
    async () => {
      expect(early?.status).toBe(503)
      expect(early?.body.error?.code).toBe('not_started')
      expect(early?.headers.get('retry-after')).toBe('5')
      expect(await countEvents()).toBe(0)
    },
  )

  it('stores a signed webhook before the 200, runs its handler once, and dedupes the same bytes', async () => {
    const body = JSON.stringify(contactCreate({ id: 'c1' }))
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
    const tracestate = 'congo=t61rcWkgMzE'
    const first = await post(app.base, '/webhooks/ghl', body, {
      ...signed(body),
      'x-request-id': 'req-from-sender',
      traceparent,
      tracestate,
    })
    expect(first.status).toBe(200)
    expect(first.body.status).toBe('accepted')
    expect(first.headers.get('x-request-id')).toEqual(
      mount.requestIds === 'sender' ? 'req-from-sender' : expect.any(String),
    )
    // Durable when acknowledged: readable the moment the 200 arrived.
    const stored = await gw.running!.store.getEvent(first.body.eventId!)
    expect(stored?.rawBody.toString()).toBe(body)
    // The sender's trace context is kept with the event (no tracing SDK is registered here).
    expect(stored?.traceParent).toBe(traceparent)
    expect(stored?.traceState).toBe(tracestate)

    const again = await post(app.base, '/webhooks/ghl', body, signed(body))
    expect(again.status).toBe(200)
    expect(again.body).toEqual({ status: 'duplicate', eventId: first.body.eventId })
    await expect.poll(() => handled.filter((id) => id === 'c1').length, { timeout: 10_000 }).toBe(1)
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect(handled.filter((id) => id === 'c1')).toHaveLength(1)
  })

  it('refuses what serve refuses, with the same codes, and stores none of it', async () => {
    const before = await countEvents()
    const body = JSON.stringify(contactCreate({ id: 'bad' }))
    const forged = await post(app.base, '/webhooks/ghl', body, {
      'x-ghl-signature': ed25519Signature(key.privateKey, `${body} `),
    })
    expect([forged.status, forged.body.error?.code]).toEqual([401, 'invalid_signature'])
    expect(forged.body.error?.requestId).toBe(forged.headers.get('x-request-id'))

    const unsigned = await post(app.base, '/webhooks/ghl', body)
    expect([unsigned.status, unsigned.body.error?.code]).toEqual([401, 'missing_signature'])

    const unknown = await post(app.base, '/webhooks/nope', body, signed(body))
    expect([unknown.status, unknown.body.error?.code]).toEqual([404, 'unknown_source'])

    const text = await post(app.base, '/webhooks/ghl', body, {
      ...signed(body),
      'content-type': 'text/plain',
    })
    expect([text.status, text.body.error?.code]).toEqual([415, 'unsupported_media_type'])

    const big = JSON.stringify(contactCreate({ id: 'big', notes: 'x'.repeat(MAX_BODY_BYTES) }))
    const declared = await post(app.base, '/webhooks/ghl', big, signed(big))
    expect([declared.status, declared.body.error?.code]).toEqual([413, 'payload_too_large'])
    expect(
      await postChunked(app.base, '/webhooks/ghl', [Buffer.alloc(3000, 0x20), Buffer.alloc(3000, 0x20)]),
    ).toBe(413)

    const notJson = '{"type": "ContactCreate",'
    const broken = await post(app.base, '/webhooks/ghl', notJson, signed(notJson))
    expect([broken.status, broken.body.error?.code]).toEqual([400, 'invalid_json'])

    const get = await fetch(`${app.base}/webhooks/ghl`)
    expect(get.status).toBe(405)
    expect(get.headers.get('allow')).toBe('POST')
    expect(((await get.json()) as Sent['body']).error?.code).toBe('method_not_allowed')

    expect(await countEvents()).toBe(before)
  })

  it("answers GHL's readiness check (GET /webhooks/ghl/verify)", async () => {
    const response = await fetch(`${app.base}/webhooks/ghl/verify`)
    expect(response.status).toBe(200)
    expect(await response.json()).toEqual({ status: 'ready', version: expect.any(String) })
  })

  it('counts what it answered in the gateway metrics', async () => {
    const text = await gw.running!.app.metrics.registry.metrics()
    expect(text).toMatch(/ghl_gateway_webhooks_total\{source="ghl",outcome="accepted"\} 1\b/)
    expect(text).toMatch(/ghl_gateway_webhooks_total\{source="ghl",outcome="duplicate"\} 1\b/)
    expect(text).toMatch(/ghl_gateway_webhooks_rejected_total\{source="ghl",reason="invalid_signature"\} 1\b/)
    expect(text).toMatch(/ghl_gateway_webhooks_rejected_total\{source="ghl",reason="payload_too_large"\} 2\b/)
    expect(text).toMatch(
      /ghl_gateway_webhooks_rejected_total\{source="\(unknown\)",reason="unknown_source"\} 1\b/,
    )
  })

  it.skipIf(mount.serverIsGateway)("leaves the application's own routes as they were", async () => {
    expect(await (await fetch(`${app.base}/health`)).text()).toBe('ok')
    const orders = await post(app.base, '/api/orders', JSON.stringify({ sku: 'A-1' }))
    expect(orders).toMatchObject({ status: 200, body: { received: { sku: 'A-1' } } })
  })

  it('answers 429 backpressure with Retry-After once BACKPRESSURE_HIGH_WATER deliveries are open', async () => {
    // The handler holds these back, so their deliveries stay open until the backlog reaches 3.
    const statuses: number[] = []
    let refused: Sent | undefined
    try {
      for (let i = 0; i < 6 && !refused; i++) {
        const body = JSON.stringify(contactCreate({ id: 'hold' }))
        const sent = await post(app.base, '/webhooks/ghl', body, signed(body))
        statuses.push(sent.status)
        if (sent.status !== 200) refused = sent
      }
    } finally {
      release()
    }
    expect(statuses[0]).toBe(200)
    expect(statuses.length).toBeLessThanOrEqual(4)
    expect([refused?.status, refused?.body.error?.code]).toEqual([429, 'backpressure'])
    expect(refused?.headers.get('retry-after')).toBe('5')
  })

  it.skipIf(mount.serverIsGateway)('answers 503 shutting_down once the gateway is closed', async () => {
    await gw.close()
    const body = JSON.stringify(contactCreate({ id: 'late' }))
    const late = await post(app.base, '/webhooks/ghl', body, signed(body))
    expect([late.status, late.body.error?.code]).toEqual([503, 'shutting_down'])
    const verify = await fetch(`${app.base}/webhooks/ghl/verify`)
    expect(verify.status).toBe(503)
    expect(late.headers.get('retry-after')).toBe('5')
  })
})
