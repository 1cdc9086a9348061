import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { postgresHarness, sqliteHarness } from '../../test/support/store-harness.js'
import { DRIFT_READ_LIMIT, VOLUME_COUNT_LIMIT } from './sql/event-type-stats.js'
import type { EventTypeStats, Store } from './types.js'

/** Traffic per event type (the console's catalog pages), on both stores. */

const NOW = 1_800_000_000_000
const HOUR = 3_600_000
const DAY = 24 * HOUR

describe.each([
  ['sqlite', sqliteHarness],
  ['postgres', postgresHarness],
] as const)('Event type stats: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  const opened: Store[] = []

  beforeEach(async () => {
    store = await harness.open()
    opened.push(store)
    await store.migrate()
  })

  afterAll(async () => {
    for (const s of opened) await s.close()
    await harness.cleanup()
  })

  const byType = (types: EventTypeStats[]) => Object.fromEntries(types.map((t) => [t.eventType, t]))

  it('counts each type in the last 24 h and 7 d, its drift in the week, and when it was last seen', async () => {
    const at = (ago: number, eventType: string, schemaStatus: 'valid' | 'drift' = 'valid') =>
      sampleEvent({ receivedAt: NOW - ago, eventType, schemaStatus })
    // Oldest first: the store's receive order follows receive time.
    await store.insertEvents([
      at(30 * DAY, 'contact.created', 'drift'),
      at(8 * DAY, 'invoice.paid'),
      at(6 * DAY, 'contact.created', 'drift'),
      at(3 * DAY, 'contact.created'),
      at(2 * DAY, 'contact.deleted', 'drift'),
      at(DAY + HOUR, 'contact.created'),
      at(DAY - HOUR, 'contact.created', 'drift'),
      at(HOUR, 'contact.created'),
      at(HOUR / 2, 'note.created'),
    ])
    const answer = await store.eventTypeStats(
      ['contact.created', 'contact.deleted', 'invoice.paid', 'task.created'],
      NOW,
    )
    expect(answer.driftLimitReached).toBe(false)
    expect(answer.types).toHaveLength(4)
    const stats = byType(answer.types)
    expect(stats['contact.created']).toEqual({
      eventType: 'contact.created',
      lastSeenAt: NOW - HOUR,
      lastDay: 2,
      lastWeek: 5,
      driftLastWeek: 2,
    })
    expect(stats['contact.deleted']).toMatchObject({ lastDay: 0, lastWeek: 1, driftLastWeek: 1 })
    // Seen before the week: last seen is kept, the windows count nothing.
    expect(stats['invoice.paid']).toEqual({
      eventType: 'invoice.paid',
      lastSeenAt: NOW - 8 * DAY,
      lastDay: 0,
      lastWeek: 0,
      driftLastWeek: 0,
    })
    expect(stats['task.created']).toEqual({
      eventType: 'task.created',
      lastSeenAt: null,
      lastDay: 0,
      lastWeek: 0,
      driftLastWeek: 0,
    })
  })

  it('counts nothing in a window no event reached, and answers an empty list of types at once', async () => {
    await store.insertEvents([sampleEvent({ receivedAt: NOW - 10 * DAY, eventType: 'contact.created' })])
    const [only] = (await store.eventTypeStats(['contact.created'], NOW)).types
    expect(only).toMatchObject({ lastSeenAt: NOW - 10 * DAY, lastDay: 0, lastWeek: 0 })
    expect(await store.eventTypeStats([], NOW)).toEqual({
      types: [],
      countLimit: VOLUME_COUNT_LIMIT,
      driftLimitReached: false,
    })
  })

  it('reads at most DRIFT_READ_LIMIT drifted events, and says when the counts stopped there', async () => {
    const drifted = (n: number) =>
      Array.from({ length: n }, (_, i) =>
        sampleEvent({ receivedAt: NOW - HOUR + i, eventType: 'contact.updated', schemaStatus: 'drift' }),
      )
    await store.insertEvents(drifted(DRIFT_READ_LIMIT))
    let answer = await store.eventTypeStats(['contact.updated'], NOW + HOUR)
    expect(answer).toMatchObject({ driftLimitReached: false, types: [{ driftLastWeek: DRIFT_READ_LIMIT }] })
    await store.insertEvents(drifted(5))
    answer = await store.eventTypeStats(['contact.updated'], NOW + HOUR)
    expect(answer.driftLimitReached).toBe(true)
    // The counts stop at their limit too: bounded work however busy a type is.
    expect(VOLUME_COUNT_LIMIT).toBeLessThanOrEqual(DRIFT_READ_LIMIT)
    expect(answer.types[0]).toMatchObject({ lastDay: VOLUME_COUNT_LIMIT, lastWeek: VOLUME_COUNT_LIMIT })
    expect(answer.types[0]!.driftLastWeek).toBeGreaterThanOrEqual(DRIFT_READ_LIMIT)
  })
})
