import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createGateway, type Gateway, type GatewayEvent, PermanentError } from '../src/index.js'
import { backpressureReport, type OperationalEvents } from '../src/receive/operational-events.js'
import { assembleForTest } from './support/assembly.js'
import { freshSqliteFile } from './support/databases.js'
import { createDestinationEngine, type DestinationEngine, START } from './support/destinations.js'
import { adminApi } from './support/harness.js'
import { type Sink, startSink } from './support/sink.js'
import { ed25519Signature, type StoreKind, testEd25519Key } from './support/test-app.js'
import { until } from './support/until.js'

/**
 * Operational events end to end, on SQLite and PostgreSQL, with the engine's fixed clock and real
 * local HTTP servers: a dead-letter storm reaches an alert destination as one event at once and one
 * summary; an alert destination that always fails does not feed itself; back-pressure on and off.
 */

const WINDOW_MS = 5 * 60_000
const STORM = 1000

// biome-ignore lint/suspicious/noExplicitAny: the envelope is read as JSON
const envelopes = (sink: Sink): any[] => sink.requests.map((r) => JSON.parse(r.body.toString('utf8')))

describe.each<StoreKind>(['sqlite', 'postgres'])('operational events on %s', (kind) => {
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

  /** Runs deliveries, and the deliveries of the operational events they caused, until none are left. */
  async function settle(ops: OperationalEvents) {
    for (let round = 0; round < 10; round++) {
      const ran = await engine.drain()
      await ops.settled()
      if (ran === 0 && (await engine.drain()) === 0) return
    }
    throw new Error('still delivering after 10 rounds')
  }

  async function gatewayEvents() {
    const answer = await engine.api('GET', '/api/events?source=gateway&limit=100')
    expect(answer.status).toBe(200)
    // biome-ignore lint/suspicious/noExplicitAny: admin answers are JSON
    return answer.json.data as any[]
  }

  async function sendMany(count: number) {
    for (let i = 0; i < count; i += 50) {
      await Promise.all(Array.from({ length: Math.min(50, count - i) }, () => engine.send()))
    }
  }

  it(`turns ${STORM} dead letters to one destination into one alert at once and one summary at the window's end`, async () => {
    const crm = await sink(() => ({ status: 500 }))
    const alerts = await sink()
    const archive = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [
        { id: 'crm', url: crm.url, events: ['contact.*'], retry: { maxAttempts: 1 }, circuitBreaker: false },
        // `*` means webhooks: this one must get no alert.
        { id: 'archive', url: archive.url, events: ['*'] },
        { id: 'alerts', url: alerts.url, events: ['gateway.delivery.dead_lettered'] },
      ],
      env: { OPERATIONAL_EVENTS_WINDOW: '5m' },
    })
    const ops = engine.assembly.operational!
    await sendMany(STORM)
    await settle(ops)
    expect(crm.requests).toHaveLength(STORM)
    expect(archive.requests).toHaveLength(STORM)
    expect(alerts.requests).toHaveLength(1)
    const [first] = envelopes(alerts)
    expect(alerts.requests[0]!.headers['x-gateway-event-type']).toBe('gateway.delivery.dead_lettered')
    expect(first).toMatchObject({
      source: 'gateway',
      type: 'gateway.delivery.dead_lettered',
      entity: { kind: 'subscriber', id: 'crm' },
      data: {
        count: 1,
        subject: 'crm',
        subscriberId: 'crm',
        subscriberKind: 'destination',
        eventSource: 'ghl',
      },
    })
    expect(first.data.error).toMatch(/500/)
    expect(first.data.consolePath).toBe(`/ui/deliveries/${first.data.deliveryId}`)

    // The window ends: the other 999 come as one summary.
    engine.clock.advance(WINDOW_MS)
    ops.flush()
    await settle(ops)
    expect(alerts.requests).toHaveLength(2)
    const summary = envelopes(alerts)[1]
    expect(summary.data).toMatchObject({ count: STORM - 1, subscriberId: 'crm' })
    expect(summary.data.sampleIds).toHaveLength(5)
    expect(await gatewayEvents()).toHaveLength(2)
    expect(archive.requests).toHaveLength(STORM)
    // What /metrics says about it: every occurrence counted, two events stored, nothing waiting.
    const scrape = (await engine.assembly.metrics.registry.metrics())
      .split('\n')
      .filter((line) => line.startsWith('ghl_gateway_operational_'))
    expect(scrape).toEqual([
      `ghl_gateway_operational_occurrences_total{type="gateway.delivery.dead_lettered"} ${STORM}`,
      'ghl_gateway_operational_events_total{type="gateway.delivery.dead_lettered",kind="first",outcome="accepted"} 1',
      'ghl_gateway_operational_events_total{type="gateway.delivery.dead_lettered",kind="summary",outcome="accepted"} 1',
      'ghl_gateway_operational_occurrences_pending 0',
    ])
  }, 120_000)

  it('never loops: an alert destination that always fails gets each alert once, and its own dead letters go nowhere', async () => {
    const crm = await sink(() => ({ status: 500 }))
    const alerts = await sink(() => ({ status: 500 }))
    engine = await createDestinationEngine(kind, {
      configured: [
        { id: 'crm', url: crm.url, events: ['contact.*'], retry: { maxAttempts: 1 }, circuitBreaker: false },
        {
          id: 'alerts',
          url: alerts.url,
          events: ['gateway.*'],
          retry: { maxAttempts: 1 },
          circuitBreaker: false,
        },
      ],
      env: { OPERATIONAL_EVENTS_WINDOW: '5m' },
    })
    const ops = engine.assembly.operational!
    for (let window = 0; window < 3; window++) {
      await sendMany(20)
      await settle(ops)
      engine.clock.advance(WINDOW_MS)
      ops.flush()
      await settle(ops)
    }
    // Per window: crm's first alert and its summary, each sent once (and dead-lettered).
    expect(alerts.requests).toHaveLength(6)
    expect(envelopes(alerts).every((e) => e.data.subject === 'crm')).toBe(true)
    const events = await gatewayEvents()
    const aboutAlerts = events.filter((e) => e.entity.id === 'alerts')
    expect(aboutAlerts.length).toBeGreaterThan(0)
    expect(aboutAlerts.length).toBeLessThanOrEqual(6)
    for (const event of aboutAlerts) {
      expect(event.flags).toEqual(['operational_loop'])
      expect(event.deliveryStatus).toBe('none')
    }
  }, 60_000)

  it('reports a circuit opening and closing, a 410 pause and an operator pause', async () => {
    let failing = true
    const flaky = await sink(() => ({ status: failing ? 500 : 200 }))
    const gone = await sink(() => ({ status: 410 }))
    const alerts = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [
        {
          id: 'flaky',
          url: flaky.url,
          events: ['contact.*'],
          circuitBreaker: { minAttempts: 3, cooldown: '30s' },
        },
        { id: 'gone', url: gone.url, events: ['contact.*'] },
        { id: 'alerts', url: alerts.url, events: ['gateway.destination.*'] },
      ],
    })
    const ops = engine.assembly.operational!
    await sendMany(3)
    await settle(ops)
    failing = false
    engine.clock.advance(60_000) // past the cooldown and the retries: the probe succeeds
    await settle(ops)
    expect((await engine.api('POST', '/api/destinations/alerts/pause', {})).status).toBe(200)
    expect((await engine.api('POST', '/api/destinations/alerts/resume')).status).toBe(200)
    await ops.settled()
    await settle(ops)
    const seen = envelopes(alerts).map((e) => `${e.type} ${e.data.subject}`)
    expect(seen.sort()).toEqual([
      'gateway.destination.circuit_closed flaky',
      'gateway.destination.circuit_opened flaky',
      'gateway.destination.paused gone',
    ])
    const paused = envelopes(alerts).find((e) => e.type === 'gateway.destination.paused')
    expect(paused.data).toMatchObject({ by: 'gone', destinationId: 'gone', count: 1 })
    const opened = envelopes(alerts).find((e) => e.type === 'gateway.destination.circuit_opened')
    expect(opened.data).toMatchObject({ attempts: 3, failures: 3, cooldownMs: 30_000 })
    // The alert destination's own pause is stored, and goes to no one (not even itself).
    const own = (await gatewayEvents()).filter((e) => e.entity.id === 'alerts')
    expect(own.map((e) => [e.type, e.flags, e.deliveryStatus])).toEqual([
      ['gateway.destination.paused', ['operational_loop'], 'none'],
    ])
  }, 60_000)

  it('emits back-pressure started and ended', async () => {
    const crm = await sink()
    const alerts = await sink()
    const slack = await sink()
    engine = await createDestinationEngine(kind, {
      configured: [
        { id: 'crm', url: crm.url, events: ['contact.*'] },
        { id: 'alerts', url: alerts.url, events: ['gateway.backpressure.*'] },
        // docs/operations.md's Slack destination, as written there.
        {
          id: 'ops-slack',
          url: slack.url,
          events: ['gateway.delivery.dead_lettered', 'gateway.destination.*', 'gateway.backpressure.started'],
          payload: 'template',
          template: { text: '{{data.message}} <https://gateway.example.com{{data.consolePath}}|open>' },
        },
      ],
      env: { BACKPRESSURE_HIGH_WATER: '5' },
    })
    const ops = engine.assembly.operational!
    for (let i = 0; i < 5; i++) await engine.send()
    await ops.settled()
    expect((await engine.post(JSON.stringify({ type: 'ContactCreate', id: 'c_x' }))).status).toBe(429)
    await settle(ops)
    await engine.app.ingestor.refreshBacklog()
    await settle(ops)
    expect(envelopes(alerts).map((e) => [e.type, e.data.highWater])).toEqual([
      ['gateway.backpressure.started', 5],
      ['gateway.backpressure.ended', 5],
    ])
    expect(envelopes(alerts)[0].data.backlog).toBeGreaterThanOrEqual(5)
    expect(envelopes(slack)).toEqual([
      {
        text: expect.stringMatching(
          /^back-pressure: \d+ deliveries are open \(BACKPRESSURE_HIGH_WATER 5\); .* <https:\/\/gateway\.example\.com\/ui\/overview\|open>$/,
        ),
      },
    ])
  }, 60_000)
})

describe('operational events from replicas on one PostgreSQL', () => {
  it("store a window's first event once (its dedupe key), and each replica's own summary", async () => {
    const clock = { now: START + 60_000 }
    const env = { LOG_LEVEL: 'silent', ADMIN_TOKEN: 'ops-admin' }
    const a = await assembleForTest('postgres', env, { now: () => clock.now })
    const b = await assembleForTest('postgres', env, {
      database: { url: a.databaseUrl },
      now: () => clock.now,
    })
    try {
      for (const replica of [a, b]) {
        replica.operational!.report(backpressureReport(true, 10, 5))
        await replica.operational!.settled()
      }
      const list = async () => {
        const answer = await adminApi(a.app.fastify, 'ops-admin', 'GET', '/api/events?source=gateway')
        // biome-ignore lint/suspicious/noExplicitAny: admin answers are JSON
        return (answer.json as any).data as { type: string; duplicateCount: number }[]
      }
      expect((await list()).map((e) => [e.type, e.duplicateCount])).toEqual([
        ['gateway.backpressure.started', 1],
      ])
      // More in the window: each replica counts its own, and stores its summary (here: as it stops).
      for (const replica of [a, b]) replica.operational!.report(backpressureReport(true, 12, 5))
      await b.operational!.close()
      await a.operational!.close()
      expect(await list()).toHaveLength(3)
    } finally {
      await b.close()
      await a.close()
    }
  }, 60_000)
})

describe('operational events in library mode', () => {
  const key = testEd25519Key()
  const file = freshSqliteFile()
  let gw: Gateway
  afterEach(async () => {
    await gw?.close()
  })
  afterAll(() => file.remove())

  it('runs a typed gw.on handler for a dead letter', async () => {
    gw = createGateway({
      database: file.url,
      env: { GHL_ED25519_PUBLIC_KEYS: key.spki, LOG_LEVEL: 'silent' },
    })
    const seen: GatewayEvent<'gateway.delivery.dead_lettered'>[] = []
    gw.on('ContactCreate', () => {
      throw new PermanentError('the CRM refuses this contact')
    })
    gw.on('gateway.delivery.dead_lettered', (event) => {
      seen.push(event)
    })
    const { url } = await gw.listen({ port: 0, host: '127.0.0.1' })
    const payload = JSON.stringify({ type: 'ContactCreate', id: 'c1', locationId: 'L1', webhookId: 'w1' })
    const response = await fetch(`${url}/webhooks/ghl`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-ghl-signature': ed25519Signature(key.privateKey, payload),
      },
      body: payload,
    })
    expect(response.status).toBe(200)
    // No throw on timeout: the assertion below shows what was seen.
    await until(() => seen.length > 0, 'the dead-letter event', 10_000).catch(() => {})
    expect(seen).toHaveLength(1)
    const [event] = seen
    expect(event!.type).toBe('gateway.delivery.dead_lettered')
    expect(event!.data.subscriberId).toBe('handler:ContactCreate')
    expect(event!.data.subscriberKind).toBe('handler')
    expect(event!.data.error).toContain('the CRM refuses this contact')
  }, 30_000)
})
