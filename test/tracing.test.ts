import { context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { GhlApi } from '../src/ghl/api-client.js'
import type { GhlTokens } from '../src/ghl/tokens.js'
import { createGateway, type Gateway } from '../src/index.js'
import { freshSqliteFile } from './support/databases.js'
import { createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import { type Sink, startSink } from './support/sink.js'
import { ed25519Signature, type StoreKind, testEd25519Key } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * OpenTelemetry with an SDK registered (src/observe/tracing.ts): spans reach an in-memory exporter.
 * A sender's `traceparent` parents the ingest span; every attempt links to the ingest span (the
 * first is also its child; a retry starts its own trace); a destination receives the attempt's
 * `traceparent`; the attempt row and the API carry its trace id; a handler's own spans nest under
 * its attempt. The sender's `tracestate` rides along: stored with the event, inherited by the first
 * attempt span, sent next to its traceparent. Without an SDK: tracing-without-sdk.test.ts.
 */

const exporter = new InMemorySpanExporter()
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable())
  trace.setGlobalTracerProvider(
    new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
  )
})
afterAll(() => {
  trace.disable()
  context.disable()
})
afterEach(() => exporter.reset())

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const INCOMING_SPAN = '00f067aa0ba902b7'
const INCOMING = `00-${INCOMING_TRACE}-${INCOMING_SPAN}-01`
const STATE = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'
const key = testEd25519Key()

const spansNamed = (name: string): ReadableSpan[] =>
  exporter.getFinishedSpans().filter((s) => s.name === name)
const traceParentOf = (span: ReadableSpan) =>
  `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`
const contactCreate = () =>
  JSON.stringify({ type: 'ContactCreate', locationId: 'loc_1', id: 'c_1', webhookId: crypto.randomUUID() })

describe.each<StoreKind>(['sqlite', 'postgres'])('tracing with an SDK, destinations on %s', (kind) => {
  let engine: DestinationEngine
  let target: Sink
  afterEach(async () => {
    await engine?.close()
    await target?.close()
  })

  it('parents ingest on the sender’s traceparent; attempts link to it; the destination gets each attempt’s traceparent; the trace id is stored and served', async () => {
    target = await startSink((_request, index) => (index === 0 ? { status: 503 } : { status: 200 }))
    engine = await createDestinationEngine(kind, {
      random: () => 1,
      configured: [{ id: 'crm', url: `${target.url}?key=secret`, events: ['contact.*'] }],
      env: { GHL_ED25519_PUBLIC_KEYS: key.spki },
    })
    const payload = contactCreate()
    const answer = await engine.post(payload, { traceparent: INCOMING })
    expect(answer.status).toBe(200)
    const eventId = answer.json.eventId as string

    const [ingest] = spansNamed('receive ghl')
    expect(ingest).toBeDefined()
    expect(ingest!.kind).toBe(SpanKind.SERVER)
    expect(ingest!.spanContext().traceId).toBe(INCOMING_TRACE)
    expect(ingest!.parentSpanContext?.spanId).toBe(INCOMING_SPAN)
    expect(ingest!.attributes).toMatchObject({
      'messaging.system': 'ghl-gateway',
      'messaging.operation.type': 'receive',
      'messaging.destination.name': 'ghl',
      'messaging.message.id': eventId,
      'ghl_gateway.ghl_type': 'ContactCreate',
      'ghl_gateway.outcome': 'accepted',
      'http.response.status_code': 200,
    })
    // The event keeps the ingest span's context, not the sender's.
    expect((await engine.store.getEvent(eventId))!.traceParent).toBe(traceParentOf(ingest!))

    // First attempt (503): a child of the ingest span, linked to it.
    await engine.drain()
    const [first] = spansNamed('send crm')
    expect(first!.kind).toBe(SpanKind.CLIENT)
    expect(first!.spanContext().traceId).toBe(INCOMING_TRACE)
    expect(first!.parentSpanContext?.spanId).toBe(ingest!.spanContext().spanId)
    expect(first!.links.map((l) => l.context.spanId)).toEqual([ingest!.spanContext().spanId])
    expect(first!.attributes).toMatchObject({
      'messaging.operation.type': 'send',
      'messaging.destination.name': 'crm',
      'messaging.message.id': eventId,
      'ghl_gateway.attempt': 1,
      'ghl_gateway.outcome': 'retry_scheduled',
      'http.response.status_code': 503,
      'http.request.method': 'POST',
      'error.type': 'HttpStatusError',
    })
    // The origin only: the query (and a path) may hold the destination's secret.
    expect(first!.attributes['url.full']).toBe(target.origin)
    expect(first!.status.code).toBe(SpanStatusCode.ERROR)
    expect(target.requests[0]!.headers.traceparent).toBe(traceParentOf(first!))

    // The retry, much later: a trace of its own, still linked to the ingest span.
    engine.clock.advance(10 * 60_000)
    await engine.drain()
    const retry = spansNamed('send crm').find((s) => s !== first)!
    expect(retry.attributes).toMatchObject({ 'ghl_gateway.attempt': 2, 'ghl_gateway.outcome': 'succeeded' })
    expect(retry.status.code).not.toBe(SpanStatusCode.ERROR)
    expect(retry.parentSpanContext).toBeUndefined()
    expect(retry.spanContext().traceId).not.toBe(INCOMING_TRACE)
    expect(retry.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([
      [INCOMING_TRACE, ingest!.spanContext().spanId],
    ])
    expect(target.requests.map((r) => r.headers.traceparent)).toEqual([
      traceParentOf(first!),
      traceParentOf(retry),
    ])

    const traceIds = [first!.spanContext().traceId, retry.spanContext().traceId]
    const [delivery] = await engine.deliveries(eventId)
    expect(delivery!.attemptHistory.map((a) => a.traceId)).toEqual(traceIds)
    const served = await engine.api('GET', `/api/deliveries/${delivery!.id}`)
    expect(served.status).toBe(200)
    expect(served.json.attemptHistory.map((a: { traceId: string }) => a.traceId)).toEqual(traceIds)
  })

  it('keeps the sender’s tracestate with the ingest span’s context; the first attempt span inherits it and sends it', async () => {
    target = await startSink((_request, index) => (index === 0 ? { status: 503 } : { status: 200 }))
    engine = await createDestinationEngine(kind, {
      random: () => 1,
      configured: [{ id: 'crm', url: target.url, events: ['contact.*'] }],
      env: { GHL_ED25519_PUBLIC_KEYS: key.spki },
    })
    const payload = contactCreate()
    const answer = await engine.post(payload, { traceparent: INCOMING, tracestate: STATE })
    expect(answer.status).toBe(200)
    const eventId = answer.json.eventId as string
    const [ingest] = spansNamed('receive ghl')
    expect(ingest!.spanContext().traceState?.serialize()).toBe(STATE)
    expect(await engine.store.getEvent(eventId)).toMatchObject({
      traceParent: traceParentOf(ingest!),
      traceState: STATE,
    })

    await engine.drain()
    const [first] = spansNamed('send crm')
    expect(first!.parentSpanContext?.spanId).toBe(ingest!.spanContext().spanId)
    expect(first!.spanContext().traceState?.serialize()).toBe(STATE)
    expect(first!.links[0]!.context.traceState?.serialize()).toBe(STATE)
    expect(target.requests[0]!.headers).toMatchObject({
      traceparent: traceParentOf(first!),
      tracestate: STATE,
    })

    // The retry's trace is its own: the sender's vendor data belongs to the sender's trace.
    engine.clock.advance(10 * 60_000)
    await engine.drain()
    const retry = spansNamed('send crm').find((s) => s !== first)!
    expect(retry.spanContext().traceState).toBeUndefined()
    expect(target.requests[1]!.headers.traceparent).toBe(traceParentOf(retry))
    expect(target.requests[1]!.headers.tracestate).toBeUndefined()
  })

  it('ends a refused webhook’s ingest span with its error code', async () => {
    engine = await createDestinationEngine(kind, { env: { GHL_ED25519_PUBLIC_KEYS: key.spki } })
    const answer = await engine.post(contactCreate(), {
      'x-ghl-signature': 'bm90IGEgc2lnbmF0dXJl',
      traceparent: INCOMING,
    })
    expect(answer.status).toBe(401)
    const [ingest] = spansNamed('receive ghl')
    expect(ingest!.status.code).toBe(SpanStatusCode.ERROR)
    expect(ingest!.attributes).toMatchObject({
      'error.type': answer.json.error.code,
      'ghl_gateway.outcome': answer.json.error.code,
      'http.response.status_code': 401,
    })
  })
})

describe('tracing with an SDK, library-mode handlers on SQLite', () => {
  const file = freshSqliteFile()
  let gw: Gateway
  afterEach(async () => {
    await gw?.close()
  })
  afterAll(() => file.remove())

  it('runs a handler inside its attempt span: the handler’s own spans nest under it', async () => {
    gw = createGateway({
      database: file.url,
      env: { GHL_ED25519_PUBLIC_KEYS: key.spki, LOG_LEVEL: 'silent' },
    })
    let handled!: () => void
    const done = new Promise<void>((resolve) => {
      handled = resolve
    })
    gw.on('ContactCreate', async () => {
      await trace.getTracer('user-code').startActiveSpan('crm upsert', async (span: Span) => {
        await new Promise((resolve) => setTimeout(resolve, 1))
        span.end()
      })
      handled()
    })
    const { url } = await gw.listen({ port: 0, host: '127.0.0.1' })
    const payload = contactCreate()
    const response = await fetch(`${url}/webhooks/ghl`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
      body: payload,
    })
    expect(response.status).toBe(200)
    await done
    // The attempt span ends after the handler returns; wait for it (bounded).
    await until(
      () => exporter.getFinishedSpans().some((s) => s.name.startsWith('process ')),
      'the attempt span',
      10_000,
    )

    const [ingest] = spansNamed('receive ghl')
    const attempt = exporter.getFinishedSpans().find((s) => s.name.startsWith('process '))!
    const [user] = spansNamed('crm upsert')
    // No traceparent came in: the ingest span starts the trace.
    expect(ingest!.parentSpanContext).toBeUndefined()
    expect(attempt.kind).toBe(SpanKind.CONSUMER)
    expect(attempt.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'ghl_gateway.outcome': 'succeeded',
    })
    expect(attempt.parentSpanContext?.spanId).toBe(ingest!.spanContext().spanId)
    expect(attempt.links.map((l) => l.context.spanId)).toEqual([ingest!.spanContext().spanId])
    expect(user!.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId)
    expect(user!.spanContext().traceId).toBe(ingest!.spanContext().traceId)
  })
})

describe('tracing with an SDK, GHL API calls', () => {
  let api: GhlApi | undefined
  let ghl: Sink | undefined
  afterEach(async () => {
    await api?.close()
    await ghl?.close()
  })

  it('makes a CLIENT span per request, a child of the active span, with the path but not the query', async () => {
    ghl = await startSink((request) =>
      request.url.startsWith('/contacts/c_1') ? { status: 200, body: '{"contact":{}}' } : { status: 404 },
    )
    // The token store is not what this tests: a fixed token.
    const tokens = {
      owner: (ownerId: string) => ({ appId: 'app', userType: 'Location', ownerId }),
      accessToken: async () => 'token',
      invalidate: () => {},
    } as unknown as GhlTokens
    api = new GhlApi({ apiUrl: ghl.origin, tokens })
    const client = api.for('loc_1')
    await trace.getTracer('user-code').startActiveSpan('handler', async (span: Span) => {
      await client.request({ method: 'GET', path: '/contacts/c_1', query: { secret: 'x' } })
      await expect(client.request({ method: 'GET', path: '/nowhere' })).rejects.toThrow(/404/)
      span.end()
    })
    const [handler] = spansNamed('handler')
    const [ok, missing] = spansNamed('ghl request')
    expect(ok!.kind).toBe(SpanKind.CLIENT)
    expect(ok!.parentSpanContext?.spanId).toBe(handler!.spanContext().spanId)
    expect(ok!.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.full': `${ghl.origin}/contacts/c_1`,
      'server.address': '127.0.0.1',
      'http.response.status_code': 200,
      'ghl_gateway.ghl.operation': 'request',
    })
    expect(ok!.status.code).not.toBe(SpanStatusCode.ERROR)
    expect(missing!.attributes).toMatchObject({ 'http.response.status_code': 404, 'error.type': '404' })
    expect(missing!.status.code).toBe(SpanStatusCode.ERROR)
  })
})
