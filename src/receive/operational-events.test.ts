import { describe, expect, it } from 'vitest'
import type { OperationalReport } from '../catalog/index.js'
import { SubscriberRegistry } from '../dispatch/registry.js'
import { retryPolicy } from '../dispatch/retry-policy.js'
import { createLogger } from '../observe/logger.js'
import { createMetrics } from '../observe/metrics.js'
import type { NewEvent } from '../store/types.js'
import { OperationalEvents } from './operational-events.js'

const WINDOW = 5 * 60_000
// Mid-window: the aligned window starts at 12:00, this is 12:01.
const T0 = Date.parse('2026-12-03T12:01:00.000Z')

function subscriber(id: string, events: string[], sources?: string[]) {
  return {
    id,
    kind: 'destination' as const,
    events,
    sources,
    retry: retryPolicy(),
    concurrency: 1,
    timeoutMs: 1000,
    run: async () => ({ outcome: 'success' as const }),
  }
}

function deadLetter(subscriberId: string, n: number, eventSource = 'ghl'): OperationalReport {
  return {
    type: 'gateway.delivery.dead_lettered',
    subject: subscriberId,
    sampleId: `dlv_${n}`,
    details: {
      deliveryId: `dlv_${n}`,
      eventId: `evt_${n}`,
      eventType: 'contact.created',
      eventSource,
      subscriberId,
      subscriberKind: 'destination',
      attempts: 3,
      error: 'HttpStatusError: 500',
      message: `delivery dlv_${n} dead-lettered`,
      consolePath: `/ui/deliveries/dlv_${n}`,
    },
  }
}

/** The operational-event series of a scrape, in exposition format (zero-valued counters have no line). */
async function metricLines(metrics: ReturnType<typeof createMetrics>): Promise<string[]> {
  return (await metrics.registry.metrics())
    .split('\n')
    .filter((line) => line.startsWith('ghl_gateway_operational_'))
}

function setUp(options: { perMinute?: number; registry?: SubscriberRegistry } = {}) {
  const clock = { now: T0 }
  const stored: NewEvent[] = []
  const registry = options.registry ?? new SubscriberRegistry()
  const metrics = createMetrics()
  const ops = new OperationalEvents({
    registry,
    logger: createLogger({ level: 'silent' }),
    windowMs: WINDOW,
    perMinute: options.perMinute ?? 30,
    instanceId: 'host:1',
    now: () => clock.now,
    metrics,
  })
  ops.attach(async (event) => {
    stored.push(event)
    return { status: 'accepted', eventId: event.id, seq: stored.length }
  })
  const bodies = () => stored.map((e) => JSON.parse(e.rawBody.toString()) as Record<string, unknown>)
  return { clock, stored, bodies, ops, registry, metrics }
}

describe('operational events: coalescing', () => {
  it('counts what it could not store, and what it dropped past maxSubjects', async () => {
    const metrics = createMetrics()
    const ops = new OperationalEvents({
      registry: new SubscriberRegistry(),
      logger: createLogger({ level: 'silent' }),
      windowMs: WINDOW,
      perMinute: 30,
      instanceId: 'host:1',
      now: () => T0,
      maxSubjects: 2,
      metrics,
    })
    ops.attach(async () => {
      throw new Error('database unavailable')
    })
    for (let n = 0; n < 3; n++) ops.report(deadLetter(`dest_${n}`, n))
    await ops.settled()
    expect(await metricLines(metrics)).toEqual([
      'ghl_gateway_operational_occurrences_total{type="gateway.delivery.dead_lettered"} 3',
      'ghl_gateway_operational_events_total{type="gateway.delivery.dead_lettered",kind="first",outcome="failed"} 2',
      'ghl_gateway_operational_occurrences_dropped_total{type="gateway.delivery.dead_lettered"} 1',
      'ghl_gateway_operational_occurrences_pending 0',
    ])
    await ops.close()
  })

  it('turns 1,000 dead letters of one destination in a window into the first at once and one summary', async () => {
    const { clock, stored, bodies, ops, metrics } = setUp()
    for (let n = 1; n <= 1000; n++) {
      ops.report(deadLetter('crm', n))
      clock.now += 100 // 100 s in all: inside the window
    }
    expect(stored).toHaveLength(1)
    await ops.settled()
    expect(await metricLines(metrics)).toEqual([
      'ghl_gateway_operational_occurrences_total{type="gateway.delivery.dead_lettered"} 1000',
      'ghl_gateway_operational_events_total{type="gateway.delivery.dead_lettered",kind="first",outcome="accepted"} 1',
      'ghl_gateway_operational_occurrences_pending 999',
    ])
    expect(bodies()[0]).toMatchObject({ count: 1, deliveryId: 'dlv_1', sampleIds: ['dlv_1'], subject: 'crm' })
    expect(stored[0]!.dedupeKey).toBe('gateway.delivery.dead_lettered|crm|2026-12-03T12:00:00.000Z|first')

    ops.flush(clock.now) // before the window's end: nothing
    expect(stored).toHaveLength(1)
    clock.now = Date.parse('2026-12-03T12:05:00.000Z')
    ops.flush(clock.now)
    expect(stored).toHaveLength(2)
    expect(bodies()[1]).toMatchObject({
      count: 999,
      deliveryId: 'dlv_1000',
      firstAt: new Date(T0 + 100).toISOString(),
      sampleIds: ['dlv_996', 'dlv_997', 'dlv_998', 'dlv_999', 'dlv_1000'],
    })
    expect(String(bodies()[1]!.message)).toMatch(/^999 more in 5m/)
    expect(stored[1]!.dedupeKey).toBe(
      'gateway.delivery.dead_lettered|crm|2026-12-03T12:00:00.000Z|summary|host:1',
    )
    await ops.settled()
    expect(await metricLines(metrics)).toEqual([
      'ghl_gateway_operational_occurrences_total{type="gateway.delivery.dead_lettered"} 1000',
      'ghl_gateway_operational_events_total{type="gateway.delivery.dead_lettered",kind="first",outcome="accepted"} 1',
      'ghl_gateway_operational_events_total{type="gateway.delivery.dead_lettered",kind="summary",outcome="accepted"} 1',
      'ghl_gateway_operational_occurrences_pending 0',
    ])
    // The window is over: the next dead letter is news again.
    ops.report(deadLetter('crm', 1001))
    expect(stored).toHaveLength(3)
    await ops.close()
  })

  it('keeps subjects and types apart, and stores at most OPERATIONAL_EVENTS_PER_MINUTE; the rest wait, counted', async () => {
    const { clock, stored, bodies, ops, metrics } = setUp({ perMinute: 3 })
    for (let n = 0; n < 10; n++) ops.report(deadLetter(`dest_${n}`, n))
    expect(stored.map((e) => e.entityId)).toEqual(['dest_0', 'dest_1', 'dest_2'])
    expect(await metricLines(metrics)).toContain('ghl_gateway_operational_occurrences_pending 7')
    // Window over, but still the same minute's cap: nothing more.
    clock.now = Date.parse('2026-12-03T12:05:00.000Z')
    ops.flush(clock.now)
    expect(stored).toHaveLength(6) // a new minute: three summaries
    expect(await metricLines(metrics)).toContain('ghl_gateway_operational_occurrences_pending 4')
    clock.now += 60_000
    ops.flush(clock.now)
    expect(stored).toHaveLength(9)
    clock.now += 60_000
    ops.flush(clock.now)
    expect(stored).toHaveLength(10)
    expect(new Set(stored.map((e) => e.entityId)).size).toBe(10)
    expect(
      bodies()
        .slice(3)
        .every((b) => b.count === 1),
    ).toBe(true)
    await ops.close()
  })

  it('stores what is pending at close', async () => {
    const { stored, bodies, ops } = setUp()
    for (let n = 1; n <= 4; n++) ops.report(deadLetter('crm', n))
    await ops.close()
    expect(bodies().map((b) => b.count)).toEqual([1, 3])
    ops.report(deadLetter('crm', 5))
    expect(stored).toHaveLength(2)
  })
})

describe('operational events: subscribers and loops', () => {
  it('plans deliveries only for subscribers that name gateway events; never for an alert subscriber’s own trouble', async () => {
    const registry = new SubscriberRegistry()
    registry.add(subscriber('alerts', ['gateway.delivery.dead_lettered']))
    registry.add(subscriber('everything', ['*']))
    registry.add(subscriber('crm', ['contact.*']))
    const { stored, ops } = setUp({ registry })

    ops.report(deadLetter('crm', 1))
    expect(stored[0]!.deliveries.map((d) => d.subscriberId)).toEqual(['alerts'])
    expect(stored[0]!.flags).toEqual([])

    // The alert destination's own dead letter (of an operational event): stored, delivered to no one.
    ops.report(deadLetter('alerts', 2, 'gateway'))
    // An alert subscriber's trouble with a webhook, and its circuit: the same.
    ops.report(deadLetter('alerts', 3))
    ops.report({
      type: 'gateway.destination.circuit_opened',
      subject: 'alerts',
      details: {
        destinationId: 'alerts',
        attempts: 10,
        failures: 10,
        cooldownMs: 30_000,
        message: 'circuit opened',
        consolePath: '/ui/destinations/alerts',
      },
    })
    const loops = stored.slice(1)
    expect(loops).toHaveLength(2) // the two dead letters of `alerts` coalesce: one first, one pending
    for (const event of loops) {
      expect(event.flags).toEqual(['operational_loop'])
      expect(event.deliveries).toEqual([])
    }
    await ops.close()
    expect(stored.slice(3).map((e) => [e.eventType, e.deliveries.length])).toEqual([
      ['gateway.delivery.dead_lettered', 0],
    ])
  })
})
