import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseFormBody } from '../src/catalog/parse-body.js'
import { planDeliveries } from '../src/dispatch/subscribers.js'
import { MAX_JSON_DEPTH } from '../src/json-depth.js'
import { classifyGhl } from '../src/receive/classify-event.js'
import type { NewEvent } from '../src/store/types.js'
import { jsonLines, runCli, startCli, tempDir } from './cli/run-cli.js'
import { ADMIN, createDestinationEngine, type DestinationEngine } from './support/destinations.js'
import { sampleEvent } from './support/sample-event.js'
import { type Sink, startSink } from './support/sink.js'
import type { StoreKind } from './support/test-app.js'

/**
 * Bodies nested deeper than MAX_JSON_DEPTH. A signed one used to be acked and stored, and then
 * GET /api/events/:id answered 500 and every envelope destination retried it for 24 h
 * (`JSON.stringify`: "Maximum call stack size exceeded"). Now ingest refuses it (400
 * `payload_too_deep`, nothing stored), and one stored before that — written here straight into the
 * store — can still be read, delivered (envelope, template, form) to real local servers, followed
 * on the live stream and shown by the CLI. On both stores.
 */

const DEPTH = 5000
const arrays = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`
/** A ContactCreate whose `custom` field nests `depth - 1` arrays (the body itself is one level). */
const contact = (depth: number, webhookId = randomUUID()) =>
  `{"type":"ContactCreate","locationId":"loc_deep","id":"c_deep","email":"deep@example.com","webhookId":"${webhookId}","custom":${arrays(depth - 1)}}`

describe.each<StoreKind>(['sqlite', 'postgres'])('bodies nested too deeply on %s', (kind) => {
  let engine: DestinationEngine
  let envelope: Sink
  let template: Sink
  let form: Sink
  const cwd = tempDir()
  const count = async () => (await engine.store.listEvents({}, { limit: 500 })).items.length

  beforeAll(async () => {
    ;[envelope, template, form] = await Promise.all([startSink(), startSink(), startSink()])
    engine = await createDestinationEngine(kind, {
      configured: [
        { id: 'envelope', url: envelope.url, events: ['*'] },
        {
          id: 'template',
          url: template.url,
          events: ['*'],
          payload: 'template',
          template: { email: '{{data.email}}', custom: '{{data.custom}}', note: 'custom={{contact.custom}}' },
        },
        { id: 'form', url: form.url, events: ['*'], contentType: 'form' },
      ],
    })
    await engine.app.fastify.listen({ port: 0, host: '127.0.0.1' })
  })
  afterAll(async () => {
    await engine?.close()
    for (const sink of [envelope, template, form]) await sink?.close()
    cwd.remove()
  })

  it(`refuses a signed body nested deeper than ${MAX_JSON_DEPTH} levels with 400 payload_too_deep, storing nothing`, async () => {
    const before = await count()
    const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${'}'.repeat(depth - 1)}`
    for (const body of [contact(MAX_JSON_DEPTH + 1), contact(DEPTH), arrays(DEPTH), objects(DEPTH)]) {
      const answer = await engine.post(body)
      expect(answer.status, body.slice(0, 80)).toBe(400)
      expect(answer.json.error).toMatchObject({
        code: 'payload_too_deep',
        message: expect.stringContaining(`more than ${MAX_JSON_DEPTH} levels deep`),
        details: { maxDepth: MAX_JSON_DEPTH },
      })
    }
    expect(await count()).toBe(before)
    // Exactly the limit is accepted.
    expect((await engine.post(contact(MAX_JSON_DEPTH))).json.status).toBe('accepted')
    expect(await count()).toBe(before + 1)
    await engine.drain()
  })

  it('reads, delivers, streams and shows a deep body stored before the limit', async () => {
    const raw = contact(DEPTH)
    const eventId = await storeAsBeforeTheLimit(engine, raw)
    const { port } = engine.app.fastify.server.address() as AddressInfo
    const env = { PORT: String(port), ADMIN_TOKEN: ADMIN }

    // The live stream, read by `tail` over a real socket, sees every attempt.
    const tail = startCli(['tail', '--json'], { cwd: cwd.path, env })
    await tail.waitFor(/streaming http:\/\/127\.0\.0\.1:\d+/, { stream: 'stderr' })
    for (const sink of [envelope, template, form]) sink.requests.length = 0
    expect(await engine.drain()).toBe(3)
    await tail.waitFor(new RegExp(`(?:"eventId":"${eventId}"[\\s\\S]*){3}`))
    const attempts = jsonLines((await tail.stop()).stdout)
    expect(attempts.map((a) => [a.subscriber, a.eventId, a.outcome]).sort()).toEqual(
      ['envelope', 'form', 'template'].map((s) => [s, eventId, 'succeeded']),
    )

    // Delivered once each, as they are: nothing failed on our side, nothing waits for a retry.
    const deliveries = await engine.deliveries(eventId)
    expect(deliveries.map((d) => [d.subscriberId, d.state, d.attempts]).sort()).toEqual([
      ['envelope', 'succeeded', 1],
      ['form', 'succeeded', 1],
      ['template', 'succeeded', 1],
    ])
    const sent = envelope.requests[0]!.body.toString('utf8')
    expect(sent.endsWith(`"data":${raw}}`)).toBe(true)
    expect(JSON.parse(sent)).toMatchObject({ id: eventId, type: 'contact.created', entity: { id: 'c_deep' } })
    const custom = arrays(DEPTH - 1)
    expect(template.requests[0]!.body.toString('utf8')).toBe(
      `{"email":"deep@example.com","custom":${custom},"note":${JSON.stringify(`custom=${custom}`)}}`,
    )
    expect(parseFormBody(form.requests[0]!.body)).toMatchObject({ id: eventId, data: raw })

    // The admin API answers, leaving the body to rawBody and saying why.
    const detail = await engine.api('GET', `/api/events/${eventId}`)
    expect(detail.status).toBe(200)
    expect(detail.json).toMatchObject({
      id: eventId,
      body: null,
      bodyNote: `the body nests deeper than ${MAX_JSON_DEPTH} levels; it is in rawBody only`,
    })
    expect(Buffer.from(detail.json.rawBody, 'base64').toString('utf8')).toBe(raw)
    expect(detail.json.deliveries).toHaveLength(3)

    // The CLI shows it: the note, then the exact text; --json is the API's answer.
    const shown = await runCli(['events', 'show', eventId], { cwd: cwd.path, env })
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain(detail.json.bodyNote)
    expect(shown.stdout).toContain(raw)
    const json = await runCli(['events', 'show', eventId, '--json'], { cwd: cwd.path, env })
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ id: eventId, body: null })
  }, 60_000)
})

/** What ingest stored for `raw` before it refused deep bodies: the same row, the same deliveries. */
async function storeAsBeforeTheLimit(engine: DestinationEngine, raw: string): Promise<string> {
  const body: unknown = JSON.parse(raw)
  const flags: string[] = []
  const { fields, webhookId, dedupeKey } = classifyGhl(body, undefined, flags)
  const now = engine.clock.now
  const event: NewEvent = {
    ...sampleEvent(),
    ...fields,
    webhookId,
    dedupeKey: dedupeKey!,
    rawBody: Buffer.from(raw),
    flags,
    receivedAt: now,
  }
  const type = engine.app.types.toType(fields.eventType!)
  event.deliveries = planDeliveries({ source: 'ghl', type, event, body }, engine.registry.list(), now)
  expect(event.deliveries).toHaveLength(3)
  const [outcome] = await engine.store.insertEvents([event])
  expect(outcome!.status).toBe('accepted')
  return outcome!.eventId
}
