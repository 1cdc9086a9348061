import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterEach, describe, expect, it } from 'vitest'
import { parseFormBody } from '../src/catalog/parse-body.js'
import { newId } from '../src/ids.js'
import { VERSION } from '../src/version.js'
import {
  createDestinationEngine,
  type DestinationEngine,
  newSigningSecret,
  START,
} from './support/destinations.js'
import { sampleEvent } from './support/sample-event.js'
import { type Sink, startSink } from './support/sink.js'
import type { StoreKind } from './support/test-app.js'

/**
 * HTTP destinations end to end, on SQLite and PostgreSQL, against real local HTTP servers with the
 * engine's fixed clock: what goes on the wire (payload modes, headers, Standard Webhooks signature
 * checked by the reference library), auth, what is saved of the answer, and what each answer does
 * next (Retry-After, 410, redirects, SSRF refusals).
 */

const SECOND = 1000
const maxJitter = () => 1

describe.each<StoreKind>(['sqlite', 'postgres'])('destinations on %s', (kind) => {
  let engine: DestinationEngine
  const sinks: Sink[] = []
  const sink = async (respond?: Parameters<typeof startSink>[0]) => {
    const s = await startSink(respond)
    sinks.push(s)
    return s
  }
  afterEach(async () => {
    await engine?.close()
    for (const s of sinks.splice(0)) await s.close()
  })

  it('signs with every secret (verified by the standardwebhooks library) and sends the envelope', async () => {
    const target = await sink()
    const [current, previous] = [newSigningSecret(), newSigningSecret()]
    engine = await createDestinationEngine(kind, {
      configured: [
        {
          id: 'crm',
          url: `${target.url}?source=gateway`,
          events: ['contact.*'],
          headers: { 'X-Team': 'growth' },
          signing: { secrets: [current, previous] },
        },
      ],
    })
    // The reference library checks the timestamp against the real clock.
    engine.clock.now = Date.now()
    const eventId = await engine.send({ email: 'jane@example.com', id: 'c_1', tags: ['vip'] })
    expect(await engine.drain()).toBe(1)

    expect(target.requests).toHaveLength(1)
    const [request] = target.requests
    expect(request!.method).toBe('POST')
    expect(request!.url).toBe('/hook?source=gateway')
    expect(request!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': `ghl-gateway/${VERSION}`,
      'webhook-id': eventId,
      'x-gateway-attempt': '1',
      'x-gateway-cycle': '0',
      'x-gateway-event-type': 'contact.created',
      'x-team': 'growth',
    })
    const [delivery] = await engine.deliveries(eventId)
    expect(request!.headers['x-gateway-delivery']).toBe(delivery!.id)
    expect(request!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+ v1,[A-Za-z0-9+/=]+$/)

    // Each secret alone verifies the exact bytes sent: rotation works in both directions.
    for (const secret of [current, previous]) {
      const verified = new Webhook(secret).verify(request!.body.toString('utf8'), {
        'webhook-id': request!.headers['webhook-id'] as string,
        'webhook-timestamp': request!.headers['webhook-timestamp'] as string,
        'webhook-signature': request!.headers['webhook-signature'] as string,
      })
      expect(verified).toMatchObject({ id: eventId, type: 'contact.created', name: 'ContactCreate' })
    }
    expect(() =>
      new Webhook(newSigningSecret()).verify(request!.body.toString('utf8'), {
        'webhook-id': request!.headers['webhook-id'] as string,
        'webhook-timestamp': request!.headers['webhook-timestamp'] as string,
        'webhook-signature': request!.headers['webhook-signature'] as string,
      }),
    ).toThrow()

    const envelope = JSON.parse(request!.body.toString('utf8'))
    expect(envelope).toMatchObject({
      id: eventId,
      source: 'ghl',
      type: 'contact.created',
      name: 'ContactCreate',
      tenant: { locationId: 'loc_1' },
      entity: { kind: 'contact', id: 'c_1' },
      data: { email: 'jane@example.com', tags: ['vip'] },
    })
    expect(delivery).toMatchObject({ subscriberId: 'crm', state: 'succeeded', attempts: 1 })
    expect(delivery!.attemptHistory[0]!.response).toMatchObject({
      status: 200,
      body: 'ok',
      bodyEncoding: 'utf8',
      truncated: false,
    })
  })

  it('keeps webhook-id across retries, stamps each attempt, and counts attempts in a header', async () => {
    const target = await sink((_request, index) => (index === 0 ? { status: 500 } : { status: 204 }))
    engine = await createDestinationEngine(kind, {
      random: maxJitter,
      configured: [
        { id: 'retry', url: target.url, events: ['*'], signing: { secrets: [newSigningSecret()] } },
      ],
    })
    const eventId = await engine.send()
    await engine.drain()
    engine.clock.advance(5 * SECOND)
    await engine.drain()
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([eventId, eventId])
    expect(target.requests.map((r) => r.headers['x-gateway-attempt'])).toEqual(['1', '2'])
    expect(target.requests.map((r) => Number(r.headers['webhook-timestamp']))).toEqual([
      START / 1000,
      START / 1000 + 5,
    ])
    const [delivery] = await engine.deliveries(eventId)
    expect(delivery!.attemptHistory.map((a) => [a.outcome, a.errorClass, a.response?.status])).toEqual([
      ['retry', 'HttpStatusError', 500],
      ['succeeded', null, 204],
    ])
    expect(delivery!.attemptHistory[0]!.errorMessage).toBe(
      `POST ${target.origin} answered 500 Internal Server Error`,
    )
  })

  it.each([
    ['CJK', '契約.作成', '%E5%A5%91%E7%B4%84.%E4%BD%9C%E6%88%90'],
    ['an emoji', 'order.🎉', 'order.%F0%9F%8E%89'],
    ['Latin-1', 'commande.créée', 'commande.cr%C3%A9%C3%A9e'],
    ['a space and %', 'deal won 100%', 'deal won 100%25'],
  ])(
    'a source type with %s reaches the destination, percent-encoded in x-gateway-event-type',
    async (_what, type, header) => {
      const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-type-'))
      const config = join(dir, 'ghl-gateway.config.json')
      writeFileSync(
        config,
        JSON.stringify({ sources: [{ id: 'shop', verify: { scheme: 'none' }, typeField: 'type' }] }),
      )
      try {
        const target = await sink()
        engine = await createDestinationEngine(kind, {
          env: { GATEWAY_CONFIG: config },
          configured: [{ id: 'all', url: target.url, events: ['*'], payload: 'raw' }],
        })
        const accepted = await engine.app.fastify.inject({
          method: 'POST',
          url: '/webhooks/shop',
          payload: JSON.stringify({ type, id: 1 }),
          headers: { 'content-type': 'application/json; charset=utf-8' },
        })
        expect(accepted.statusCode).toBe(200)
        await engine.drain()
        const [delivery] = await engine.deliveries(accepted.json().eventId)
        expect(delivery).toMatchObject({ state: 'succeeded', attempts: 1 })
        expect(target.requests).toHaveLength(1)
        const received = target.requests[0]!.headers
        expect(received['x-gateway-event-type']).toBe(header)
        expect(decodeURIComponent(received['x-gateway-event-type'] as string)).toBe(type)
        expect(received['content-type']).toBe('application/json; charset=utf-8')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    },
  )

  it('an event with no type is published as <source>.event: patterns, filters, envelope and header agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-type-'))
    const config = join(dir, 'ghl-gateway.config.json')
    writeFileSync(
      config,
      JSON.stringify({ sources: [{ id: 'shop', verify: { scheme: 'none' }, typeField: 'type' }] }),
    )
    try {
      const typed = await sink()
      const prefixed = await sink()
      const ghl = await sink()
      engine = await createDestinationEngine(kind, {
        env: { GATEWAY_CONFIG: config },
        configured: [
          { id: 'typed', url: typed.url, events: ['shop.event'], filter: { type: 'shop.event' } },
          {
            id: 'prefixed',
            url: prefixed.url,
            events: ['shop.*'],
            payload: 'template',
            template: '{{type}}',
          },
          { id: 'ghl', url: ghl.url, events: ['contact.*'] },
        ],
      })
      const accepted = await engine.app.fastify.inject({
        method: 'POST',
        url: '/webhooks/shop',
        payload: JSON.stringify({ id: 1 }),
        headers: { 'content-type': 'application/json' },
      })
      expect(accepted.statusCode).toBe(200)
      expect(await engine.drain()).toBe(2)
      expect(typed.requests).toHaveLength(1)
      expect(typed.requests[0]!.headers['x-gateway-event-type']).toBe('shop.event')
      expect(JSON.parse(typed.requests[0]!.body.toString())).toMatchObject({
        source: 'shop',
        type: 'shop.event',
      })
      expect(JSON.parse(prefixed.requests[0]!.body.toString())).toBe('shop.event')
      expect(ghl.requests).toHaveLength(0)
      // The admin API says the same, in lists and details, for the event and its deliveries.
      const eventId = accepted.json().eventId as string
      expect((await engine.api('GET', `/api/events/${eventId}`)).json.type).toBe('shop.event')
      expect((await engine.api('GET', '/api/events?source=shop')).json.data[0].type).toBe('shop.event')
      const listed = (await engine.api('GET', '/api/deliveries')).json.data
      expect(listed.map((d: { type: string }) => d.type)).toEqual(['shop.event', 'shop.event'])
      expect((await engine.api('GET', `/api/deliveries/${listed[0].id}`)).json.type).toBe('shop.event')
      // Replaying the event to everyone who wants it now matches on the same type.
      const late = await engine.api('POST', '/api/destinations', {
        id: 'late',
        url: typed.url,
        events: ['shop.event'],
      })
      expect(late.status).toBe(201)
      expect((await engine.api('POST', '/api/replay', { eventId })).json).toEqual({ replayed: 2, added: 1 })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  it('a raw payload whose stored Content-Type is not a header value goes out as application/octet-stream', async () => {
    const target = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [{ id: 'raw', url: target.url, events: ['*'], payload: 'raw' }],
    })
    // Node's parser refuses such a header at ingest; a row written by another writer may hold one.
    const event = sampleEvent({
      contentType: 'application/json\u0001\r\nx-injected: 1',
      deliveries: [{ id: newId('dlv'), subscriberId: 'raw', orderingKey: null, runAt: START }],
    })
    await engine.store.insertEvents([event])
    await engine.drain()
    expect(target.requests).toHaveLength(1)
    expect(target.requests[0]!.headers['content-type']).toBe('application/octet-stream')
    expect(target.requests[0]!.headers).not.toHaveProperty('x-injected')
    expect((await engine.deliveries(event.id))[0]).toMatchObject({ state: 'succeeded' })
  })

  it('raw payloads are the bytes the sender sent; templates keep JSON types and render missing as null', async () => {
    const raw = await sink()
    const templated = await sink()
    const form = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [
        { id: 'raw', url: raw.url, events: ['ContactCreate'], payload: 'raw' },
        {
          id: 'template',
          url: templated.url,
          events: ['ContactCreate'],
          method: 'PUT',
          payload: 'template',
          template: {
            event: '{{type}}',
            location: '{{tenant.locationId}}',
            contact: { email: '{{contact.email}}', tags: '{{data.tags}}', score: '{{data.score}}' },
            vip: '{{data.vip}}',
            greeting: 'Hello {{data.firstName}} {{data.lastName}}!',
            missing: '{{data.nothing.here}}',
            fixed: 42,
            first_tag: '{{data.tags[0]}}',
          },
        },
        {
          id: 'form',
          url: form.url,
          events: ['ContactCreate'],
          payload: 'template',
          contentType: 'form',
          template: {
            email: '{{data.email}}',
            tags: '{{data.tags}}',
            score: '{{data.score}}',
            none: '{{data.x}}',
          },
        },
      ],
    })
    const body = { email: 'a@b.co', firstName: 'Ann', tags: ['vip', 'b2b'], score: 7.5, vip: true }
    await engine.send(body)
    await engine.drain()

    const sent = JSON.parse(raw.requests[0]!.body.toString('utf8'))
    expect(sent).toMatchObject({ type: 'ContactCreate', ...body })
    expect(raw.requests[0]!.headers['content-type']).toBe('application/json')

    expect(templated.requests[0]!.method).toBe('PUT')
    expect(JSON.parse(templated.requests[0]!.body.toString('utf8'))).toEqual({
      event: 'contact.created',
      location: 'loc_1',
      contact: { email: 'a@b.co', tags: ['vip', 'b2b'], score: 7.5 },
      vip: true,
      greeting: 'Hello Ann !',
      missing: null,
      fixed: 42,
      first_tag: 'vip',
    })

    expect(form.requests[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded')
    expect(parseFormBody(form.requests[0]!.body)).toEqual({
      email: 'a@b.co',
      tags: '["vip","b2b"]',
      score: '7.5',
      none: '',
    })
  })

  it('sends each kind of credentials: bearer, API key, basic', async () => {
    const target = await sink()
    engine = await createDestinationEngine(kind, {
      env: { CRM_TOKEN: 'tok-bearer-123' },
      configured: [
        {
          id: 'bearer',
          url: `${target.url}/bearer`,
          events: ['*'],
          auth: { type: 'bearer', token: 'tok-bearer-123' },
        },
        {
          id: 'apikey',
          url: `${target.url}/apikey`,
          events: ['*'],
          auth: { type: 'apiKey', header: 'X-Api-Key', value: 'key-456' },
        },
        {
          id: 'basic',
          url: `${target.url}/basic`,
          events: ['*'],
          auth: { type: 'basic', username: 'gateway', password: 'p@ss:word' },
        },
      ],
    })
    await engine.send()
    await engine.drain()
    const byPath = Object.fromEntries(target.requests.map((r) => [r.url, r.headers]))
    expect(byPath['/hook/bearer']!.authorization).toBe('Bearer tok-bearer-123')
    expect(byPath['/hook/apikey']!['x-api-key']).toBe('key-456')
    expect(byPath['/hook/basic']!.authorization).toBe(
      `Basic ${Buffer.from('gateway:p@ss:word').toString('base64')}`,
    )
    // Never in a log line.
    for (const secret of ['tok-bearer-123', 'key-456', 'p@ss:word'])
      expect(engine.logs.text).not.toContain(secret)
  })

  it('OAuth client credentials: one token for many deliveries, a new one after expiry and after a 401', async () => {
    let issued = 0
    const tokens = await sink((request) => {
      const form = parseFormBody(request.body)
      if (form.grant_type !== 'client_credentials' || form.scope !== 'hooks:write') return { status: 400 }
      if (request.headers.authorization !== `Basic ${Buffer.from('client-1:s3cret').toString('base64')}`)
        return { status: 401, body: '{"error":"invalid_client"}' }
      issued++
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: `token-${issued}`, token_type: 'Bearer', expires_in: 3600 }),
      }
    })
    let revoked = ''
    const api = await sink((request) =>
      request.headers.authorization === `Bearer ${revoked}` ? { status: 401 } : { status: 200 },
    )
    engine = await createDestinationEngine(kind, {
      configured: [
        {
          id: 'oauth',
          url: api.url,
          events: ['*'],
          auth: {
            type: 'oauth2',
            tokenUrl: `${tokens.origin}/oauth/token`,
            clientId: 'client-1',
            clientSecret: 's3cret',
            scope: 'hooks:write',
          },
        },
      ],
    })
    for (let i = 0; i < 4; i++) await engine.send()
    await engine.drain()
    expect(tokens.requests).toHaveLength(1)
    expect(api.requests.map((r) => r.headers.authorization)).toEqual(Array(4).fill('Bearer token-1'))

    // Cached until expires_in minus a margin: after an hour a new token is fetched.
    engine.clock.advance(3600 * SECOND)
    await engine.send()
    await engine.drain()
    expect(tokens.requests).toHaveLength(2)
    expect(api.requests.at(-1)!.headers.authorization).toBe('Bearer token-2')

    // Revoked early: the 401 makes the same attempt fetch a new token and try once more.
    revoked = 'token-2'
    const eventId = await engine.send()
    await engine.drain()
    expect(tokens.requests).toHaveLength(3)
    expect(api.requests.slice(-2).map((r) => r.headers.authorization)).toEqual([
      'Bearer token-2',
      'Bearer token-3',
    ])
    expect((await engine.deliveries(eventId))[0]).toMatchObject({ state: 'succeeded', attempts: 1 })
    expect(engine.logs.text).not.toContain('s3cret')
  })

  it.each([
    ['CR/LF', 'tok-1\r\nx-injected: yes'],
    ['LF', 'tok-1\nx-injected: yes'],
    ['NUL', 'tok-1\u0000'],
    ['beyond Latin-1', 'tok-契約'],
  ])(
    'an access_token with %s fails the attempt with OAuthTokenError; nothing reaches the destination',
    async (_what, token) => {
      const tokens = await sink(() => ({
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ access_token: token, expires_in: 3600 }),
      }))
      const api = await sink()
      engine = await createDestinationEngine(kind, {
        configured: [
          {
            id: 'oauth',
            url: api.url,
            events: ['*'],
            auth: { type: 'oauth2', tokenUrl: tokens.url, clientId: 'c', clientSecret: 's' },
          },
        ],
      })
      const eventId = await engine.send()
      await engine.drain()
      expect(api.requests).toHaveLength(0)
      const [delivery] = await engine.deliveries(eventId)
      expect(delivery).toMatchObject({ state: 'retry_scheduled' })
      expect(delivery!.attemptHistory[0]).toMatchObject({
        errorClass: 'OAuthTokenError',
        errorMessage: `POST ${api.origin}: token endpoint ${tokens.origin} answered an access_token that cannot be sent in a header (control or non-Latin-1 characters)`,
      })
      expect(engine.logs.text).not.toContain('tok-1')
    },
  )

  it('a token endpoint that refuses fails the attempt with OAuthTokenError and retries', async () => {
    const tokens = await sink(() => ({ status: 401, body: '{"error":"invalid_client"}' }))
    const api = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [
        {
          id: 'oauth',
          url: api.url,
          events: ['*'],
          auth: {
            type: 'oauth2',
            tokenUrl: tokens.url,
            clientId: 'c',
            clientSecret: 'wrong',
            clientAuth: 'body',
          },
        },
      ],
    })
    const eventId = await engine.send()
    await engine.drain()
    expect(api.requests).toHaveLength(0)
    expect(parseFormBody(tokens.requests[0]!.body)).toMatchObject({ client_id: 'c', client_secret: 'wrong' })
    const [delivery] = await engine.deliveries(eventId)
    expect(delivery).toMatchObject({ state: 'retry_scheduled' })
    expect(delivery!.attemptHistory[0]).toMatchObject({
      errorClass: 'OAuthTokenError',
      errorMessage: `POST ${api.origin}: token endpoint ${tokens.origin} answered 401 Unauthorized (error: invalid_client)`,
    })
  })

  it('honours Retry-After (seconds and HTTP date) on 429/503, capped at an hour', async () => {
    const replies = [
      { status: 429, headers: { 'retry-after': '120' } },
      { status: 503, headers: { 'retry-after': new Date(START + 120 * SECOND + 90 * SECOND).toUTCString() } },
      { status: 429, headers: { 'retry-after': '86400' } },
      { status: 200 },
    ]
    const target = await sink((_request, index) => replies[index] ?? { status: 200 })
    engine = await createDestinationEngine(kind, {
      configured: [{ id: 'slow', url: target.url, events: ['*'] }],
    })
    const eventId = await engine.send()
    await engine.drain()
    let [delivery] = await engine.deliveries(eventId)
    expect(delivery).toMatchObject({ state: 'retry_scheduled', runAt: START + 120 * SECOND })
    expect(delivery!.lastError).toBe(
      `HttpStatusError: POST ${target.origin} answered 429 Too Many Requests with Retry-After 120 s`,
    )

    engine.clock.advance(120 * SECOND)
    await engine.drain()
    ;[delivery] = await engine.deliveries(eventId)
    expect(delivery).toMatchObject({ state: 'retry_scheduled', runAt: START + 210 * SECOND })

    engine.clock.advance(90 * SECOND)
    await engine.drain()
    ;[delivery] = await engine.deliveries(eventId)
    expect(delivery).toMatchObject({ state: 'retry_scheduled', runAt: START + 210 * SECOND + 3600 * SECOND })
    expect(delivery!.lastError).toContain('(capped at 3600 s)')
  })

  it('does not follow redirects: a 3xx fails the attempt and says why', async () => {
    const target = await sink(() => ({
      status: 301,
      headers: { location: 'https://elsewhere.example/new?token=x' },
    }))
    engine = await createDestinationEngine(kind, {
      configured: [{ id: 'moved', url: target.url, events: ['*'] }],
    })
    const eventId = await engine.send()
    await engine.drain()
    expect(target.requests).toHaveLength(1)
    const [delivery] = await engine.deliveries(eventId)
    expect(delivery!.state).toBe('retry_scheduled')
    expect(delivery!.lastError).toBe(
      `HttpStatusError: POST ${target.origin} answered 301 Moved Permanently to https://elsewhere.example; ` +
        'redirects are not followed — point the destination at the final URL',
    )
  })

  it('410 Gone pauses the destination; its deliveries wait and are delivered after resume', async () => {
    let gone = true
    const target = await sink(() => (gone ? { status: 410 } : { status: 200 }))
    engine = await createDestinationEngine(kind, {
      configured: [{ id: 'crm', url: target.url, events: ['*'], retry: { maxAttempts: 2 } }],
    })
    const first = await engine.send()
    await engine.drain()
    expect(target.requests).toHaveLength(1)
    const row = await engine.store.getDestination('crm')
    expect(row).toMatchObject({
      state: 'paused',
      stateReason: `gone: POST ${target.origin} answered 410 Gone`,
    })
    let [delivery] = await engine.deliveries(first)
    expect(delivery).toMatchObject({ state: 'retry_scheduled', runAt: START })
    expect(delivery!.attemptHistory[0]).toMatchObject({
      errorClass: 'DestinationGone',
      response: { status: 410 },
    })

    // Paused: new events still get deliveries, nothing is sent.
    const second = await engine.send()
    engine.clock.advance(60 * SECOND)
    expect(await engine.drain()).toBe(0)
    expect(target.requests).toHaveLength(1)
    expect((await engine.api('GET', '/api/destinations/crm')).json).toMatchObject({
      state: 'paused',
      stateReason: expect.stringContaining('410 Gone'),
    })

    gone = false
    expect((await engine.api('POST', '/api/destinations/crm/resume')).json.state).toBe('active')
    expect(await engine.drain()).toBe(2)
    ;[delivery] = await engine.deliveries(first)
    expect(delivery).toMatchObject({ state: 'succeeded', attempts: 2 })
    expect((await engine.deliveries(second))[0]).toMatchObject({ state: 'succeeded', attempts: 1 })
  })

  it('saves the response: status, duration, lowercased headers, the body up to the cap', async () => {
    const big = 'x'.repeat(10_000)
    const target = await sink(() => ({
      status: 200,
      headers: { 'X-Request-Id': 'r-1', 'Set-Cookie': 'session=secret', 'Content-Type': 'text/plain' },
      body: big,
    }))
    const binary = await sink(() => ({ status: 500, body: Buffer.from([0xff, 0x00, 0xfe, 0x01]) }))
    engine = await createDestinationEngine(kind, {
      configured: [
        { id: 'big', url: target.url, events: ['*'], responseBodyBytes: 100 },
        { id: 'binary', url: binary.url, events: ['*'] },
        { id: 'none', url: `${target.url}/none`, events: ['*'], responseBodyBytes: 0 },
      ],
    })
    const eventId = await engine.send()
    await engine.drain()
    const bySubscriber = Object.fromEntries(
      (await engine.deliveries(eventId)).map((d) => [d.subscriberId, d]),
    )
    const saved = bySubscriber.big!.attemptHistory[0]!.response!
    expect(saved).toMatchObject({
      status: 200,
      body: 'x'.repeat(100),
      bodyEncoding: 'utf8',
      truncated: true,
      headers: { 'x-request-id': 'r-1', 'content-type': 'text/plain' },
    })
    expect(saved.headers).not.toHaveProperty('set-cookie')
    expect(saved.durationMs).toBeGreaterThan(0)
    expect(bySubscriber.binary!.attemptHistory[0]!.response).toMatchObject({
      status: 500,
      body: Buffer.from([0xff, 0x00, 0xfe, 0x01]).toString('base64'),
      bodyEncoding: 'base64',
      truncated: false,
    })
    expect(bySubscriber.none!.attemptHistory[0]!.response).toMatchObject({ body: '', truncated: true })
  })

  it('filters at ingest: events that do not match create no delivery', async () => {
    const target = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [
        {
          id: 'vip',
          url: target.url,
          events: ['contact.*'],
          filter: {
            locationId: ['loc_1', 'loc_2'],
            'data.tags': { contains: 'vip' },
            'data.score': { gte: 10, lt: 100 },
            'data.email': { exists: true },
          },
        },
        { id: 'deals', url: target.url, events: ['opportunity.*'] },
      ],
    })
    const match = await engine.send({ tags: ['vip'], score: 50, email: 'a@b.co' })
    const misses = [
      await engine.send({ tags: ['vip'], score: 50, email: 'a@b.co', locationId: 'loc_9' }),
      await engine.send({ tags: ['regular'], score: 50, email: 'a@b.co' }),
      await engine.send({ tags: ['vip'], score: 5, email: 'a@b.co' }),
      await engine.send({ tags: ['vip'], score: 50 }),
      await engine.send({ type: 'ContactTagUpdate', tags: ['vip'], score: '20', email: null }),
    ]
    expect((await engine.deliveries(match)).map((d) => d.subscriberId)).toEqual(['vip'])
    for (const eventId of misses) expect(await engine.deliveries(eventId)).toEqual([])
    await engine.drain()
    expect(target.requests).toHaveLength(1)
  })

  it('ordered: entity delivers one entity’s events in receive order; a failure holds back only that entity', async () => {
    let failFirst = true
    const target = await sink((request) => {
      if (failFirst && JSON.parse(request.body.toString()).data.id === 'c_1') {
        failFirst = false
        return { status: 503 }
      }
      return { status: 200 }
    })
    engine = await createDestinationEngine(kind, {
      random: maxJitter,
      configured: [{ id: 'ordered', url: target.url, events: ['*'], ordered: 'entity' }],
    })
    const e1 = await engine.send({ id: 'c_1' })
    const e2 = await engine.send({ id: 'c_1', type: 'ContactUpdate' })
    const e3 = await engine.send({ id: 'c_2' })
    await engine.drain()
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([e1, e3])
    engine.clock.advance(5 * SECOND)
    await engine.drain()
    expect(target.requests.map((r) => r.headers['webhook-id'])).toEqual([e1, e3, e1, e2])
  })

  it('a GET destination sends the payload as query parameters and no body', async () => {
    const target = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [
        {
          id: 'get',
          url: `${target.url}?key=1`,
          events: ['*'],
          method: 'get',
          payload: 'template',
          template: { email: '{{data.email}}', type: '{{type}}' },
        },
      ],
    })
    await engine.send({ email: 'a@b.co' })
    await engine.drain()
    expect(target.requests[0]).toMatchObject({
      method: 'GET',
      url: '/hook?key=1&email=a%40b.co&type=contact.created',
    })
    expect(target.requests[0]!.body.length).toBe(0)
  })
})
