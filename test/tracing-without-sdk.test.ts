import { trace } from '@opentelemetry/api'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import { type Sink, startSink } from './support/sink.js'
import { testEd25519Key } from './support/test-app.js'

/**
 * No OpenTelemetry SDK registered (the default): the gateway makes no spans, but a sender's
 * `traceparent` is still kept with the event and forwarded to the destination on every attempt, so
 * a trace connects through the gateway; the attempt stores that trace id. Its `tracestate` (vendor
 * data) goes along, only ever next to it. With an SDK: tracing.test.ts.
 */

const INCOMING_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const INCOMING = `00-${INCOMING_TRACE}-00f067aa0ba902b7-01`
const STATE = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7'
const key = testEd25519Key()

describe('tracing without an SDK (SQLite)', () => {
  let engine: DestinationEngine
  let target: Sink
  beforeAll(() => {
    // Whatever another file of this process registered, this one runs with the API's no-op tracer.
    trace.disable()
  })
  afterEach(async () => {
    await engine?.close()
    await target?.close()
  })

  /** A gateway with one destination, `crm`, at a new sink; `failFirst`: the sink's first answer is a 503. */
  const start = async ({ failFirst = false } = {}) => {
    target = await startSink(
      failFirst ? (_request, index) => (index === 0 ? { status: 503 } : { status: 200 }) : undefined,
    )
    engine = await createDestinationEngine('sqlite', {
      // A retry due at once (no jitter): the clock's advance makes it due.
      ...(failFirst ? { random: () => 1 } : {}),
      configured: [{ id: 'crm', url: target.url, events: ['contact.*'] }],
      env: { GHL_ED25519_PUBLIC_KEYS: key.spki },
    })
  }

  const post = (traceparent?: string, tracestate?: string) =>
    engine.post(
      JSON.stringify({
        type: 'ContactCreate',
        locationId: 'loc_1',
        id: 'c_1',
        webhookId: crypto.randomUUID(),
      }),
      {
        ...(traceparent === undefined ? {} : { traceparent }),
        ...(tracestate === undefined ? {} : { tracestate }),
      },
    )

  it('keeps the sender’s traceparent and forwards it on every attempt, retries too', async () => {
    await start({ failFirst: true })
    const eventId = (await post(INCOMING)).json.eventId as string
    expect((await engine.store.getEvent(eventId))!.traceParent).toBe(INCOMING)
    await engine.drain()
    engine.clock.advance(10 * 60_000)
    await engine.drain()
    expect(target.requests.map((r) => r.headers.traceparent)).toEqual([INCOMING, INCOMING])
    const [delivery] = await engine.deliveries(eventId)
    expect(delivery!.attemptHistory.map((a) => a.traceId)).toEqual([INCOMING_TRACE, INCOMING_TRACE])
  })

  it('keeps the sender’s tracestate with its traceparent and forwards both on every attempt', async () => {
    await start({ failFirst: true })
    const eventId = (await post(INCOMING, STATE)).json.eventId as string
    expect(await engine.store.getEvent(eventId)).toMatchObject({ traceParent: INCOMING, traceState: STATE })
    await engine.drain()
    engine.clock.advance(10 * 60_000)
    await engine.drain()
    expect(target.requests.map((r) => [r.headers.traceparent, r.headers.tracestate])).toEqual([
      [INCOMING, STATE],
      [INCOMING, STATE],
    ])
  })

  it('drops an invalid tracestate, still takes the webhook, and keeps none without a valid traceparent', async () => {
    await start()
    const tooMany = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',')
    const answers = [
      await post(INCOMING, 'not a tracestate'),
      await post(INCOMING, `a=${'x'.repeat(600)}`),
      await post(INCOMING, tooMany),
      // Vendor data alone, or next to a traceparent that is not valid: the spec ignores it.
      await post(undefined, STATE),
      await post('not a traceparent', STATE),
    ]
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200])
    const ids = answers.map((a) => a.json.eventId as string)
    const stored = await Promise.all(ids.map(async (id) => (await engine.store.getEvent(id))!))
    expect(stored.map((e) => [e.traceParent, e.traceState])).toEqual([
      [INCOMING, null],
      [INCOMING, null],
      [INCOMING, null],
      [null, null],
      [null, null],
    ])
    expect(await engine.drain()).toBe(5)
    expect(target.requests.map((r) => r.headers.tracestate)).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ])
  })

  it('keeps nothing from a malformed traceparent, or when none came: no header, no trace id', async () => {
    await start()
    const ids = [
      (await post()).json.eventId as string,
      (await post(`00-${'0'.repeat(32)}-00f067aa0ba902b7-01`)).json.eventId as string,
      (await post('not a traceparent')).json.eventId as string,
    ]
    for (const id of ids) expect((await engine.store.getEvent(id))!.traceParent).toBeNull()
    expect(await engine.drain()).toBe(3)
    expect(target.requests.map((r) => r.headers.traceparent)).toEqual([undefined, undefined, undefined])
    for (const id of ids) {
      const [delivery] = await engine.deliveries(id)
      expect(delivery!.attemptHistory.map((a) => a.traceId)).toEqual([null])
    }
  })
})
