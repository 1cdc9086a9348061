import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import { newId } from '../ids.js'
import type { AttemptResult, NewDelivery, NewEvent, Store } from './types.js'

/**
 * The tenant reads of the Locations pages on both stores: tenants paged by id with their numbers
 * over a window (volume up to a cap, error rate over the newest events, last seen), one tenant's
 * numbers, and the blocked ordered lanes of a tenant. Fixed clocks: every time is an offset from T.
 */

const T = 1_700_000_000_000

describe.each(STORE_HARNESSES)('Locations: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  storePerTest(harness, (fresh) => {
    store = fresh
  })

  const event = (receivedAt: number, overrides: Partial<NewEvent> = {}) =>
    sampleEvent({ receivedAt, ...overrides })
  const delivery = (subscriberId: string, orderingKey: string | null = null): NewDelivery => ({
    id: newId('dlv'),
    subscriberId,
    orderingKey,
    runAt: T,
  })
  /** Claims `d` (the subscriber's only due one) and reports `next` for it. */
  const settle = async (d: NewDelivery, next: AttemptResult['next'], now: number) => {
    const claimed = await store.claimDeliveries({
      worker: 'w',
      now,
      leaseMs: 60_000,
      slots: [{ subscriberId: d.subscriberId, limit: 1 }],
    })
    expect(claimed.map((c) => c.id)).toEqual([d.id])
    const attempt = {
      id: newId('att'),
      number: claimed[0]!.attempts,
      cycle: 0,
      startedAt: now,
      durationMs: 2,
      errorClass: next.state === 'succeeded' ? null : 'Error',
      errorMessage: next.state === 'succeeded' ? null : next.error,
      errorStack: null,
      response: null,
    }
    expect(await store.finishAttempts([{ deliveryId: d.id, worker: 'w', attempt, next }], now + 2)).toEqual([
      true,
    ])
  }

  it('pages tenants in id order, locations then companies, each with volume, last seen and error rate over the window', async () => {
    const failing = delivery('crm')
    const ok = delivery('crm')
    // In receive order, as ingest stores them: the window is a range of seq (see tenant-stats.ts).
    await store.insertEvents([
      event(T - 20_000, { locationId: 'loc_c' }), // only before the window
      event(T - 10_000, { locationId: 'loc_a' }), // before the window
      event(T + 1, { locationId: 'loc_a', deliveries: [failing] }),
      event(T + 2, { locationId: 'loc_a', deliveries: [ok] }),
      event(T + 3, { locationId: 'loc_b' }),
      event(T + 4, { locationId: null, companyId: 'co_1' }),
    ])
    await settle(failing, { state: 'dead', error: 'boom' }, T + 100)
    await settle(ok, { state: 'succeeded' }, T + 200)

    const first = await store.listLocations({ since: T, limit: 2 })
    expect(first.items.map((t) => [t.kind, t.id])).toEqual([
      ['location', 'loc_a'],
      ['location', 'loc_b'],
    ])
    expect(first.items[0]).toMatchObject({
      volume: 2,
      volumeCapped: false,
      lastSeenAt: T + 2,
      sampledEvents: 2,
      sampledDeliveries: 2,
      failedDeliveries: 1,
    })
    expect(first.items[1]).toMatchObject({ volume: 1, sampledDeliveries: 0, failedDeliveries: 0 })
    const second = await store.listLocations({ since: T, limit: 2, cursor: first.nextCursor! })
    expect(second.items.map((t) => [t.kind, t.id, t.volume])).toEqual([
      ['location', 'loc_c', 0],
      ['company', 'co_1', 1],
    ])
    expect(second.items[0]!.lastSeenAt).toBe(T - 20_000)
    expect(second.nextCursor).toBeNull()

    // `from` starts the listing at an id (inclusive), for locations and companies alike.
    const from = await store.listLocations({ since: T, limit: 10, from: 'loc_b' })
    expect(from.items.map((t) => t.id)).toEqual(['loc_b', 'loc_c'])
    // A window with no event at all: volumes are zero, last seen is still known.
    const later = await store.listLocations({ since: T + 1_000_000, limit: 10 })
    expect(later.items.map((t) => [t.id, t.volume, t.lastSeenAt])).toEqual([
      ['loc_a', 0, T + 2],
      ['loc_b', 0, T + 3],
      ['loc_c', 0, T - 20_000],
      ['co_1', 0, T + 4],
    ])
  })

  it('counts volume up to the cap and takes the error rate over the newest events only', async () => {
    const deliveries = Array.from({ length: 6 }, () => delivery('crm'))
    await store.insertEvents(
      deliveries.map((d, i) => event(T + i, { locationId: 'loc_big', deliveries: [d] })),
    )
    // The two oldest fail; the sample of the 4 newest sees none of them.
    await settle(deliveries[0]!, { state: 'dead', error: 'x' }, T + 100)
    await settle(deliveries[1]!, { state: 'dead', error: 'x' }, T + 200)
    const [stats] = (await store.listLocations({ since: T, limit: 1 }, { volumeCap: 5, errorSample: 4 }))
      .items
    expect(stats).toMatchObject({ volume: 5, volumeCapped: true, sampledEvents: 4, failedDeliveries: 0 })
    const [all] = (await store.listLocations({ since: T, limit: 1 }, { volumeCap: 6, errorSample: 6 })).items
    expect(all).toMatchObject({ volume: 6, volumeCapped: false, sampledEvents: 6, failedDeliveries: 2 })
  })

  it('reads one id as a location or a company, and nothing for an id no event names', async () => {
    const newest = event(T + 5, { locationId: 'loc_x', companyId: 'co_x' })
    await store.insertEvents([event(T + 1, { locationId: 'loc_x' }), newest])
    expect(await store.getLocation('loc_x', T)).toEqual([
      expect.objectContaining({ kind: 'location', id: 'loc_x', volume: 2, lastEventId: newest.id }),
    ])
    expect(await store.getLocation('co_x', T)).toEqual([
      expect.objectContaining({ kind: 'company', id: 'co_x', volume: 1, lastSeenAt: T + 5 }),
    ])
    expect(await store.getLocation('nobody', T)).toEqual([])
  })

  it('lists a blocked lane: the failing head of an entity with a later delivery waiting behind it; a dead head does not block', async () => {
    const lane = 'sync|loc_1|contact:c1'
    const head = delivery('sync', lane)
    const behind = delivery('sync', lane)
    const alone = delivery('sync', 'sync|loc_1|contact:c2') // failing, nothing behind: not blocking
    const elsewhere = delivery('sync', 'sync|loc_2|contact:c3')
    const elsewhereBehind = delivery('sync', 'sync|loc_2|contact:c3')
    const headEvent = event(T + 1, { entityId: 'c1', deliveries: [head] })
    await store.insertEvents([
      headEvent,
      event(T + 2, { entityId: 'c1', deliveries: [behind] }),
      event(T + 3, { entityId: 'c2', deliveries: [alone] }),
      event(T + 4, { locationId: 'loc_2', entityId: 'c3', deliveries: [elsewhere] }),
      event(T + 5, { locationId: 'loc_2', entityId: 'c3', deliveries: [elsewhereBehind] }),
    ])
    expect(await store.blockedLanes('loc_1', 10)).toEqual({ lanes: [], truncated: false })

    // The head fails: its lane is blocked (the claim takes only heads, so `behind` is never due).
    await settle(head, { state: 'retry_scheduled', runAt: T + 60_000, error: 'CRM said 500' }, T + 100)
    await settle(alone, { state: 'retry_scheduled', runAt: T + 60_000, error: 'no' }, T + 200)
    await settle(elsewhere, { state: 'retry_scheduled', runAt: T + 60_000, error: 'no' }, T + 300)
    const blocked = await store.blockedLanes('loc_1', 10)
    expect(blocked).toEqual({
      truncated: false,
      lanes: [
        {
          subscriberId: 'sync',
          orderingKey: lane,
          entityKind: 'contact',
          entityId: 'c1',
          deliveryId: head.id,
          eventId: headEvent.id,
          eventName: 'ContactCreate',
          eventType: 'contact.created',
          state: 'retry_scheduled',
          attempts: 1,
          lastError: 'CRM said 500',
          nextAttemptAt: T + 60_000,
          failingSince: T + 100,
          waiting: 1,
          waitingCapped: false,
        },
      ],
    })
    expect((await store.blockedLanes('loc_2', 10)).lanes.map((l) => l.deliveryId)).toEqual([elsewhere.id])

    // Dead, the head leaves its lane: the delivery behind it becomes the head and may run.
    await settle(head, { state: 'dead', error: 'gave up' }, T + 60_000)
    expect((await store.blockedLanes('loc_1', 10)).lanes).toEqual([])
  })

  it('looks at a bounded number of retrying deliveries, oldest first, and says when it stopped early', async () => {
    const lanes = [1, 2, 3].map((n) => [delivery('sync', `k${n}`), delivery('sync', `k${n}`)] as const)
    await store.insertEvents(
      lanes.flatMap(([h, b], n) => [
        event(T + n * 10, { entityId: `e${n}`, deliveries: [h] }),
        event(T + n * 10 + 1, { entityId: `e${n}`, deliveries: [b] }),
      ]),
    )
    for (const [h] of lanes)
      await settle(h, { state: 'retry_scheduled', runAt: T + 99_999, error: 'e' }, T + 50)
    const heads = lanes.map(([h]) => h.id)
    expect(await store.blockedLanes('loc_1', 10)).toMatchObject({ truncated: false })
    expect((await store.blockedLanes('loc_1', 10)).lanes.map((l) => l.deliveryId)).toEqual(heads)
    expect((await store.blockedLanes('loc_1', 2)).lanes.map((l) => l.deliveryId)).toEqual(heads.slice(0, 2))
    const budgeted = await store.blockedLanes('loc_1', 10, { examine: 2 })
    expect(budgeted).toMatchObject({ truncated: true })
    expect(budgeted.lanes.map((l) => l.deliveryId)).toEqual(heads.slice(0, 2))
  })

  it('counts the deliveries waiting behind a head up to the cap', async () => {
    const lane = [0, 1, 2, 3].map(() => delivery('sync', 'sync|loc_1|contact:c9'))
    await store.insertEvents(lane.map((d, i) => event(T + i, { entityId: 'c9', deliveries: [d] })))
    await settle(lane[0]!, { state: 'retry_scheduled', runAt: T + 99_999, error: 'e' }, T + 50)
    expect((await store.blockedLanes('loc_1', 10)).lanes[0]).toMatchObject({
      waiting: 3,
      waitingCapped: false,
    })
    expect((await store.blockedLanes('loc_1', 10, { waitingCap: 2 })).lanes[0]).toMatchObject({
      waiting: 2,
      waitingCapped: true,
    })
  })
})
