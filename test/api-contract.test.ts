import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Fastify from 'fastify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { adminAccess } from '../src/api/auth.js'
import { registerOpenApi } from '../src/api/openapi.js'
import { ERROR_CODES } from '../src/errors.js'
import { ADMIN, createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import { type FakeGhl, startFakeGhl } from './support/fake-ghl.js'
import { ghlAppEnv, installOnFake } from './support/ghl-install.js'
import { type Sink, startSink } from './support/sink.js'
import { testEd25519Key } from './support/test-app.js'

/**
 * The admin API as a contract (src/api/schemas/, docs/openapi.json). The harness builds the app
 * with `checkResponses`, so an answer outside its schema, or with a status its route does not
 * list, is a 500 here. These tests exercise every documented operation against that check, keep
 * the committed document equal to the served one, and prove the check catches a mismatch.
 */

type Document = {
  paths: Record<string, Record<string, { responses: Record<string, unknown>; security?: unknown[] }>>
  components: {
    schemas: Record<string, Record<string, unknown>>
    securitySchemes: Record<string, Record<string, unknown>>
  }
}

const COMMITTED = new URL('../docs/openapi.json', import.meta.url)

/** CONSOLE_SAMPLE_SIGNING_KEY and the trust it needs, so the catalog's send answers 200. */
function sampleSigningEnv(): Record<string, string> {
  const key = testEd25519Key()
  const file = join(mkdtempSync(join(tmpdir(), 'ghl-gateway-contract-')), 'sample.pem')
  writeFileSync(file, key.privateKey.export({ format: 'pem', type: 'pkcs8' }))
  return { CONSOLE_SAMPLE_SIGNING_KEY: file, GHL_ED25519_PUBLIC_KEYS: key.spki }
}

describe.each(['sqlite', 'postgres'] as const)('the admin API contract (%s)', (kind) => {
  let engine: DestinationEngine
  let sink: Sink
  let document: Document
  let fakeGhl: FakeGhl
  /** `GET /api/events/{id} 200`: every operation and status this file saw answered. */
  const seen = new Set<string>()

  const call = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    route: string,
    url: string,
    body?: unknown,
  ) => {
    const answer = await engine.api(method, url, body)
    seen.add(`${method} ${route} ${answer.status}`)
    // A mismatch with the schema is a 500 that names the field: show it.
    if (answer.status === 500) throw new Error(`${method} ${url}: ${JSON.stringify(answer.json)}`)
    return answer
  }

  beforeAll(async () => {
    // Fails the first attempt, so deliveries die at once (maxAttempts 1) and reach the DLQ.
    sink = await startSink(() => ({ status: 503, headers: { 'retry-after': '1' }, body: 'busy' }))
    fakeGhl = await startFakeGhl()
    const ghlEnv = ghlAppEnv(fakeGhl)
    engine = await createDestinationEngine(kind, {
      configured: [{ id: 'from-file', url: sink.url, events: ['invoice.*'] }],
      env: { ...sampleSigningEnv(), ...ghlEnv },
    })
    await installOnFake(engine.store, fakeGhl, ghlEnv, 'loc_1')
    document = (await engine.api('GET', '/api/openapi.json')).json
  })
  afterAll(async () => {
    await engine?.close()
    await sink?.close()
    await fakeGhl?.close()
  })

  it('serves the document behind the admin token, equal to the committed docs/openapi.json', async () => {
    const anonymous = await engine.app.fastify.inject({ method: 'GET', url: '/api/openapi.json' })
    expect(anonymous.statusCode).toBe(401)
    // Either credential: the bearer token, or the console's session cookie.
    expect(document).toMatchObject({
      openapi: '3.1.0',
      security: [{ adminToken: [] }, { consoleSession: [] }],
    })
    expect(document.components.securitySchemes.consoleSession).toMatchObject({
      type: 'apiKey',
      in: 'cookie',
      name: 'ghl_gateway_session',
    })
    const committed = JSON.parse(readFileSync(COMMITTED, 'utf8'))
    expect(committed, 'docs/openapi.json is stale: run `npm run openapi`').toEqual(document)
  })

  it('documents the error catalog, every route’s error statuses and the deprecated aliases', () => {
    const error = document.components.schemas.Error as { properties: { error: { properties: unknown } } }
    expect(error.properties.error.properties).toMatchObject({ code: { enum: Object.keys(ERROR_CODES) } })
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['401', '404', '500', '503']),
        )
        // Whatever the cookie can change, it cannot change without the console's header (403).
        if (method !== 'get' && `${method} ${path}` !== 'post /api/session')
          expect(Object.keys(operation.responses), `${method} ${path}`).toContain('403')
      }
    }
    const { Delivery, EventDelivery, DeliveryDetail } = document.components.schemas
    for (const schema of [Delivery, EventDelivery, DeliveryDetail]) {
      const properties = (schema as { properties: Record<string, { deprecated?: boolean }> }).properties
      expect(properties.attempts?.deprecated).toBe(true)
      expect(properties.attemptsInCycle?.deprecated).toBeUndefined()
    }
    for (const schema of [EventDelivery, DeliveryDetail]) {
      const properties = (schema as { properties: Record<string, { deprecated?: boolean }> }).properties
      expect(properties.attemptsLog?.deprecated).toBe(true)
    }
  })

  it('every documented operation answers within its schema: each success, and its errors', async () => {
    const crm = {
      id: 'crm',
      url: sink.url,
      events: ['contact.*'],
      retry: { maxAttempts: 1 },
      headers: { 'X-Api-Key': 'literal-key' },
    }
    expect((await call('POST', '/api/destinations', '/api/destinations', crm)).status).toBe(201)
    expect((await call('POST', '/api/destinations', '/api/destinations', crm)).status).toBe(409)
    await call('GET', '/api/destinations', '/api/destinations')
    const one = await call('GET', '/api/destinations/{id}', '/api/destinations/crm')
    expect(one.json.definition.headers).toEqual({ 'X-Api-Key': '***' })
    expect(
      (await call('PUT', '/api/destinations/{id}', '/api/destinations/crm', one.json.definition)).status,
    ).toBe(200)
    expect((await call('PUT', '/api/destinations/{id}', '/api/destinations/from-file', {})).status).toBe(409)
    await call('POST', '/api/destinations/{id}/pause', '/api/destinations/crm/pause')
    await call('POST', '/api/destinations/{id}/resume', '/api/destinations/crm/resume', {})
    expect((await call('POST', '/api/destinations/{id}/probe', '/api/destinations/crm/probe')).status).toBe(
      202,
    )

    const eventId = await engine.send()
    await engine.drain()
    const event = await call('GET', '/api/events/{id}', `/api/events/${eventId}`)
    expect(event.json.deliveries[0].attemptHistory[0].response).toMatchObject({ status: 503, body: 'busy' })
    await call('GET', '/api/events', '/api/events?limit=1')
    const entity = event.json.entity
    const timeline = await call(
      'GET',
      '/api/entities/{kind}/{id}/timeline',
      `/api/entities/${entity.kind}/${entity.id}/timeline`,
    )
    expect(timeline.json.data[0].event.id).toBe(eventId)
    const page = await call('GET', '/api/deliveries', '/api/deliveries?state=dead')
    const deliveryId = page.json.data[0].id
    await call('GET', '/api/dlq', '/api/dlq')
    expect((await call('GET', '/api/dlq/count', '/api/dlq/count?subscriber=crm')).json.count).toBe(1)
    await call('GET', '/api/dlq/groups', '/api/dlq/groups')
    const job = await call('POST', '/api/dlq/jobs', '/api/dlq/jobs', {
      action: 'purge',
      filter: { subscriber: 'x' },
    })
    await call('GET', '/api/dlq/jobs', '/api/dlq/jobs')
    await call('GET', '/api/dlq/jobs/{id}', `/api/dlq/jobs/${job.json.id}`)
    await call('DELETE', '/api/dlq/jobs/{id}', `/api/dlq/jobs/${job.json.id}`)
    expect((await call('DELETE', '/api/dlq/jobs/{id}', `/api/dlq/jobs/${job.json.id}`)).status).toBe(409)
    await call('GET', '/api/deliveries/{id}', `/api/deliveries/${deliveryId}`)
    expect((await call('POST', '/api/replay', '/api/replay', { deliveryId })).json).toEqual({
      replayed: 1,
      added: 0,
    })
    // Not dead any more: a purge is refused (400), then allowed once it died again.
    expect((await call('DELETE', '/api/dlq/{id}', `/api/dlq/${deliveryId}`)).status).toBe(400)
    await engine.drain()
    expect((await call('DELETE', '/api/dlq/{id}', `/api/dlq/${deliveryId}`)).json).toEqual({ discarded: 1 })
    await call('POST', '/api/replay', '/api/replay', { eventId })
    await call('POST', '/api/replay', '/api/replay', { filter: { states: ['discarded'] } })

    const test = await call('POST', '/api/destinations/{id}/test', '/api/destinations/crm/test', {
      event: 'ContactCreate',
    })
    expect(test.json).toMatchObject({ ok: false, verdict: 'retry', response: { status: 503 } })
    expect(
      (await call('POST', '/api/destinations/{id}/test', '/api/destinations/from-file/test', { eventId }))
        .status,
    ).toBe(200)
    await call('GET', '/api/destinations/{id}/deliveries', '/api/destinations/crm/deliveries?limit=5')
    await call('GET', '/api/destinations/{id}/attempts', '/api/destinations/crm/attempts?limit=5')
    await call('GET', '/api/catalog', '/api/catalog')
    await call('GET', '/api/catalog/{name}', '/api/catalog/ContactCreate')
    const tenants = await call('GET', '/api/locations', '/api/locations?window=7d')
    await call('GET', '/api/locations/{id}', `/api/locations/${tenants.json.data[0].id}`)
    expect((await call('GET', '/api/locations', '/api/locations?window=2d')).status).toBe(400)

    const owner = { appId: 'app_test', userType: 'Location', ownerId: 'loc_inst' } as const
    await engine.store.recordGhlInstall(owner, { companyId: 'comp_inst', bulk: true }, Date.now())
    const installs = await call('GET', '/api/installs', '/api/installs?status=installed&company=comp_inst')
    expect(installs.json.data).toMatchObject([{ kind: 'location', id: 'loc_inst', token: null }])
    await call('GET', '/api/installs/{kind}/{id}', '/api/installs/location/loc_inst')
    const tenant = await call('PATCH', '/api/installs/location/{id}', '/api/installs/location/loc_inst', {
      tenantId: 'acme-42',
    })
    expect(tenant.json.tenantId).toBe('acme-42')
    const tooLong = await call('PATCH', '/api/installs/location/{id}', '/api/installs/location/loc_inst', {
      tenantId: 'x'.repeat(201),
    })
    expect(tooLong.json.error.message).toMatch(/^invalid tenant request: tenantId: /)
    expect((await call('GET', '/api/installs', '/api/installs?needsReauth=maybe')).status).toBe(400)
    const missing = await call('PATCH', '/api/installs/location/{id}', '/api/installs/location/loc_missing', {
      tenantId: null,
    })
    expect(missing.json.error.code).toBe('not_found')
    expect((await call('GET', '/api/installs/{kind}/{id}', '/api/installs/agency/x')).status).toBe(400)
    expect((await call('GET', '/api/locations/{id}', '/api/locations/x?window=2d')).status).toBe(400)
    expect((await call('GET', '/api/overview', '/api/overview')).json.destinations.total).toBe(2)
    expect(
      (await call('GET', '/api/stats/series', '/api/stats/series?window=24h')).json.received,
    ).toHaveLength(60)
    await call('POST', '/api/catalog/{name}/send', '/api/catalog/InvoicePaid/send')
    const ghlCall = { locationId: 'loc_1', method: 'GET', path: '/contacts/c1' }
    expect((await call('POST', '/api/ghl/call', '/api/ghl/call', ghlCall)).json.status).toBe(200)
    await call('DELETE', '/api/destinations/{id}', '/api/destinations/crm')
    expect((await call('POST', '/api/session', '/api/session', { token: ADMIN })).json).toEqual({
      expiresAt: expect.any(String),
    })
    expect((await call('POST', '/api/session', '/api/session', { token: 'wrong' })).status).toBe(401)
    expect((await call('GET', '/api/session', '/api/session')).json).toEqual({
      authenticated: true,
      expiresAt: null,
    })
    expect((await call('DELETE', '/api/session', '/api/session')).status).toBe(204)

    // Not found, and the 400s the request schemas give, with the catalog's code and message.
    for (const [method, route, url] of [
      ['GET', '/api/events/{id}', '/api/events/evt_missing'],
      ['GET', '/api/deliveries/{id}', '/api/deliveries/dlv_missing'],
      ['GET', '/api/catalog/{name}', '/api/catalog/NoSuchEvent'],
      ['GET', '/api/locations/{id}', '/api/locations/loc_missing'],
      ['GET', '/api/destinations/{id}', '/api/destinations/crm'],
      ['GET', '/api/installs/{kind}/{id}', '/api/installs/company/comp_missing'],
    ] as const)
      expect((await call(method, route, url)).json.error.code).toBe('not_found')
    const badQuery = await call('GET', '/api/events', '/api/events?limit=0&schema=maybe')
    expect(badQuery.json.error).toMatchObject({ code: 'invalid_request' })
    expect(badQuery.json.error.message).toMatch(/^invalid query: schema: .*; limit: /)
    const badReplay = await call('POST', '/api/replay', '/api/replay')
    expect(badReplay.json.error.message).toMatch(/^invalid replay request: /)
    const badPause = await call('POST', '/api/destinations/{id}/pause', '/api/destinations/from-file/pause', {
      reason: '',
    })
    expect(badPause.json.error.message).toMatch(/^invalid pause request: reason: /)
    const badTest = await call('POST', '/api/destinations/{id}/test', '/api/destinations/from-file/test', {})
    expect(badTest.json.error.message).toMatch(/^invalid test request: /)
    const badDeliveries = await call(
      'GET',
      '/api/destinations/{id}/deliveries',
      '/api/destinations/from-file/deliveries?state=lost',
    )
    expect(badDeliveries.json.error.message).toMatch(/^invalid query: state: /)
    const badStream = await call('GET', '/api/stream', '/api/stream?kind=everything')
    expect(badStream.json.error.message).toMatch(/^invalid query: kind: /)
    expect((await call('GET', '/api/dlq', '/api/dlq?cursor=nope')).status).toBe(400)
    const badWindow = await call('GET', '/api/stats/series', '/api/stats/series?window=2h')
    expect(badWindow.json.error.message).toMatch(/^invalid query: window: /)
    expect((await call('GET', '/api/deliveries', '/api/deliveries?since=yesterday')).status).toBe(400)

    // Private Integration Tokens and the token listing (g-pit): the token is never answered.
    const pit = '/api/ghl/private-tokens/{kind}/{id}'
    const pitUrl = '/api/ghl/private-tokens/location/loc_contract'
    expect((await call('PUT', pit, pitUrl, { token: 'pit-contract-1' })).status).toBe(201)
    expect((await call('PUT', pit, pitUrl, { token: 'pit-contract-2' })).status).toBe(204)
    expect((await call('PUT', pit, pitUrl, { token: '' })).status).toBe(400)
    const tokens = await call('GET', '/api/ghl/tokens', '/api/ghl/tokens?status=active')
    expect(tokens.json.data).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'private', ownerId: 'loc_contract' })]),
    )
    expect(JSON.stringify(tokens.json)).not.toContain('pit-contract')
    expect((await call('DELETE', pit, pitUrl)).status).toBe(204)
    expect((await call('DELETE', pit, pitUrl)).status).toBe(404)

    // The stream's 200 is an endless text/event-stream: open it on a real socket, read its first line.
    const { port } = await listening(engine)
    expect(await firstStreamLine(port)).toBe(': connected')
    seen.add('GET /api/stream 200')

    // Every operation refuses a caller without the token, with the catalog's error body — except
    // the two documented as needing none: logging in, and logging out.
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (operation.security?.length === 0) continue
        const upper = method.toUpperCase()
        const answer = await engine.app.fastify.inject({
          method: upper as 'GET',
          url: path.replace(/\{\w+\}/, 'x'),
        })
        expect(answer.statusCode, `${upper} ${path}`).toBe(401)
        seen.add(`${upper} ${path} 401`)
      }
    }

    // Each documented success status was answered, and checked against its schema, above.
    const successes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        Object.keys(operation.responses)
          .filter((status) => status.startsWith('2'))
          .map((status) => `${method.toUpperCase()} ${path} ${status}`),
      ),
    )
    expect(successes.length).toBeGreaterThanOrEqual(19)
    expect(successes.filter((operation) => !seen.has(operation))).toEqual([])
  })
})

describe('checking answers against their schemas', () => {
  const app = async (checkResponses: boolean, answer: unknown, status = 200) => {
    const fastify = Fastify()
    registerOpenApi(fastify, { access: adminAccess({ token: 'token' }), checkResponses })
    // Untyped on purpose: the point is an answer outside the schema.
    fastify.get(
      '/api/thing',
      { schema: { tags: ['thing'], response: { 200: z.object({ name: z.string() }) } } },
      async (_request, reply) => reply.status(status as 200).send(answer),
    )
    const response = await fastify.inject({ method: 'GET', url: '/api/thing' })
    await fastify.close()
    return response
  }

  it('an answer with a field its schema does not name, or without one it requires, is a 500 naming it', async () => {
    const extra = await app(true, { name: 'a', secret: 'x' })
    expect(extra.statusCode).toBe(500)
    expect(extra.json().message).toContain('(answer).secret is not described by it')
    const missing = await app(true, {})
    expect(missing.statusCode).toBe(500)
    expect(missing.json().message).toMatch(/answered outside its schema: name: /)
    expect((await app(true, { name: 'a' })).body).toBe('{"name":"a"}')
  })

  it('a status the route does not list is a 500', async () => {
    const teapot = await app(true, { name: 'a' }, 418)
    expect(teapot.statusCode).toBe(500)
    expect(teapot.json().message).toContain('answered 418, which its schema does not list')
  })

  it('without the check (production), answers are sent as built: nothing stripped, nothing refused', async () => {
    const extra = await app(false, { name: 'a', secret: 'x' })
    expect(extra.statusCode).toBe(200)
    expect(extra.body).toBe('{"name":"a","secret":"x"}')
  })
})

async function listening(engine: DestinationEngine): Promise<{ port: number }> {
  await engine.app.fastify.listen({ port: 0, host: '127.0.0.1' })
  const address = engine.app.fastify.server.address()
  if (address === null || typeof address === 'string') throw new Error('not listening on a port')
  return { port: address.port }
}

function firstStreamLine(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { host: '127.0.0.1', port, path: '/api/stream', headers: { authorization: `Bearer ${ADMIN}` } },
      (response) => {
        response.setEncoding('utf8')
        response.once('data', (chunk: string) => {
          resolve(chunk.split('\n')[0]!)
          request.destroy()
        })
      },
    )
    request.on('error', reject)
    request.end()
  })
}
