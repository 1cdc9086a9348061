import { afterAll, beforeEach, describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { postgresHarness, sqliteHarness } from '../../test/support/store-harness.js'
import { GatewayError } from '../errors.js'
import { newId } from '../ids.js'
import type { DeliveryState } from './delivery-states.js'
import {
  countDeliveries,
  deliveryStatusOf,
  EVENT_DELIVERY_STATUSES,
  type EventDeliveryStatus,
} from './event-delivery-status.js'
import { MAX_SEARCH_LENGTH } from './event-filter.js'
import type { NewEvent, ScanBudget, Store } from './types.js'

/**
 * The event list the console reads, on both stores: text search (`q`) over ids and raw bodies,
 * the delivery status filter and counts, and the budget that bounds a search however rare its match.
 */

const T = 1_700_000_000_000
/** No time limit, so what a call examines depends on its rows alone. */
const budget = (rows: number, chunk: number): Partial<ScanBudget> => ({ rows, chunk, ms: 600_000 })

describe.each([
  ['sqlite', sqliteHarness],
  ['postgres', postgresHarness],
] as const)('Event list: %s', (_name, makeHarness) => {
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

  /** `count` events, oldest first, one a millisecond from T; `body(i)` replaces the i-th body. */
  const insert = async (count: number, body: (i: number) => string | undefined = () => undefined) => {
    const events = Array.from({ length: count }, (_, i) => {
      const text = body(i)
      return sampleEvent({ receivedAt: T + i, ...(text === undefined ? {} : { rawBody: Buffer.from(text) }) })
    })
    await store.insertEvents(events)
    return events
  }
  const ids = (page: { items: { id: string }[] }) => page.items.map((e) => e.id)

  it('q finds an event by its id, a delivery id, the webhookId and the entity id, however far back', async () => {
    const delivery = newId('dlv')
    const old = sampleEvent({
      receivedAt: T - 1,
      deliveries: [{ id: delivery, subscriberId: 'crm', orderingKey: null, runAt: T }],
    })
    await store.insertEvents([old])
    const events = await insert(30)
    // Ids are found through their indexes: the tiny body-search budget does not apply to them.
    const tiny = budget(2, 1)
    for (const q of [old.id, delivery, old.webhookId!, old.entityId!, ` ${old.id} `]) {
      const page = await store.listEvents({ q }, { limit: 10 }, tiny)
      expect(ids(page), q).toEqual([old.id])
      expect(page).toMatchObject({ nextCursor: null, searchedBackTo: null })
    }
    // Combined with the other filters.
    expect(ids(await store.listEvents({ q: old.id, source: 'elsewhere' }, { limit: 10 }, tiny))).toEqual([])
    expect(ids(await store.listEvents({ q: events[3]!.id, locationId: 'loc_1' }, { limit: 10 }))).toEqual([
      events[3]!.id,
    ])
  })

  it('an id that matches lists only the events with that id, page after page, not bodies mentioning it', async () => {
    await insert(3)
    const entity = 'contact_shared'
    const mine = [0, 1, 2].map((i) => sampleEvent({ receivedAt: T + 10 + i, entityId: entity }))
    // Another entity's event whose body mentions the id: a body match, not listed while ids match.
    const mention = sampleEvent({ receivedAt: T + 20, rawBody: Buffer.from(`{"contactId":"${entity}"}`) })
    await store.insertEvents([...mine, mention])
    const first = await store.listEvents({ q: entity }, { limit: 2 })
    expect(ids(first)).toEqual([mine[2]!.id, mine[1]!.id])
    const second = await store.listEvents({ q: entity }, { limit: 2, cursor: first.nextCursor! })
    expect(ids(second)).toEqual([mine[0]!.id])
    expect(second).toMatchObject({ nextCursor: null, searchedBackTo: null })
    // A text no event has as an id is searched in the bodies.
    expect(ids(await store.listEvents({ q: `"contactId":"${entity}"` }, { limit: 10 }))).toEqual([mention.id])
  })

  it('q finds text in raw bodies byte for byte: % and _ are plain characters, case matters, UTF-8 as sent', async () => {
    const bodies = [
      '{"email":"john@example.com","note":"50% off"}',
      '{"firstName":"Zoë","tag":"a_b"}',
      '{"note":"5000 off","tag":"axb"}',
    ]
    const events = await insert(3, (i) => bodies[i])
    const search = async (q: string) => ids(await store.listEvents({ q }, { limit: 10 }))
    expect(await search('john@example.com')).toEqual([events[0]!.id])
    expect(await search('JOHN@EXAMPLE.COM')).toEqual([])
    expect(await search('%')).toEqual([events[0]!.id])
    expect(await search('50%')).toEqual([events[0]!.id])
    expect(await search('a_b')).toEqual([events[1]!.id])
    expect(await search('_')).toEqual([events[1]!.id])
    expect(await search('Zoë')).toEqual([events[1]!.id])
    expect(await search("' OR 1=1 --")).toEqual([])
    expect(await search('\\')).toEqual([])
  })

  it('a body search examines at most its budget per call, says how far back it looked, and continues', async () => {
    // Matches in the 3rd and the 26th of 30 events; 10 events examined per call, 4 per statement.
    const events = await insert(30, (i) =>
      i === 2 || i === 25 ? '{"email":"needle@example.com"}' : undefined,
    )
    const within = budget(10, 4)
    const first = await store.listEvents({ q: 'needle@' }, { limit: 5 }, within)
    expect(ids(first)).toEqual([events[25]!.id])
    expect(first.searchedBackTo).toBe(events[20]!.receivedAt)
    expect(first.nextCursor).not.toBeNull()
    const second = await store.listEvents({ q: 'needle@' }, { limit: 5, cursor: first.nextCursor! }, within)
    expect(ids(second)).toEqual([])
    expect(second.searchedBackTo).toBe(events[10]!.receivedAt)
    const third = await store.listEvents({ q: 'needle@' }, { limit: 5, cursor: second.nextCursor! }, within)
    expect(ids(third)).toEqual([events[2]!.id])
    expect(third).toMatchObject({ nextCursor: null, searchedBackTo: null })
    // With the default budget, one call finds both.
    expect(ids(await store.listEvents({ q: 'needle@' }, { limit: 5 }))).toEqual([
      events[25]!.id,
      events[2]!.id,
    ])
  })

  it('a search whose page fills within the budget pages like any listing', async () => {
    const events = await insert(6, (i) => (i % 2 ? '{"tag":"odd"}' : undefined))
    const first = await store.listEvents({ q: '"odd"' }, { limit: 2 }, budget(100, 2))
    expect(ids(first)).toEqual([events[5]!.id, events[3]!.id])
    expect(first.searchedBackTo).toBeNull()
    const second = await store.listEvents({ q: '"odd"' }, { limit: 2, cursor: first.nextCursor! })
    expect(ids(second)).toEqual([events[1]!.id])
    expect(second.nextCursor).toBeNull()
  })

  it('refuses an empty or too long q with invalid_request, before any SQL', async () => {
    await insert(1)
    for (const q of ['', '   ', 'x'.repeat(MAX_SEARCH_LENGTH + 1), 'x'.repeat(1_000_000)]) {
      const refused = await store.listEvents({ q }, { limit: 10 }).catch((error: unknown) => error)
      expect(refused, `${q.length} characters`).toBeInstanceOf(GatewayError)
      expect((refused as GatewayError).code).toBe('invalid_request')
    }
    expect((await store.listEvents({ q: 'x'.repeat(MAX_SEARCH_LENGTH) }, { limit: 10 })).items).toEqual([])
  })

  it('status lists exactly the events whose delivery status it names, and every row carries its counts', async () => {
    // Every combination that decides a status, including the ones where the order matters.
    const combos: Record<string, DeliveryState[]> = {
      none: [],
      delivered: ['succeeded'],
      deliveredTwice: ['succeeded', 'succeeded'],
      failed: ['dead'],
      failedAndOpen: ['dead', 'pending'],
      failedAndPurged: ['discarded', 'dead'],
      pending: ['retry_scheduled'],
      leasedAndDone: ['leased', 'succeeded'],
      discarded: ['discarded'],
      discardedAndDone: ['discarded', 'succeeded'],
    }
    const expected: Record<EventDeliveryStatus, string[]> = {
      failed: [],
      pending: [],
      discarded: [],
      delivered: [],
      none: [],
    }
    const events: NewEvent[] = []
    const states: [string, DeliveryState][] = []
    for (const combo of Object.values(combos)) {
      const deliveries = combo.map((state, i) => {
        const id = newId('dlv')
        states.push([id, state])
        return { id, subscriberId: `s${i}`, orderingKey: null, runAt: T }
      })
      const event = sampleEvent({ receivedAt: T + events.length, deliveries })
      events.push(event)
      expected[deliveryStatusOf(countDeliveries(combo))].unshift(event.id)
    }
    await store.insertEvents(events)
    for (const [id, state] of states)
      await harness.exec(`UPDATE deliveries SET state = '${state}' WHERE id = '${id}'`)

    expect(expected).toEqual({
      failed: [events[5]!.id, events[4]!.id, events[3]!.id],
      pending: [events[7]!.id, events[6]!.id],
      discarded: [events[9]!.id, events[8]!.id],
      delivered: [events[2]!.id, events[1]!.id],
      none: [events[0]!.id],
    })
    // Both ways: from the few dead or open deliveries (failed, pending), and by scanning events.
    const scanOnly = { fewDeliveries: 0 }
    for (const status of EVENT_DELIVERY_STATUSES) {
      for (const way of [{}, scanOnly]) {
        const page = await store.listEvents({ status }, { limit: 50 }, way)
        expect(ids(page), `${status} ${JSON.stringify(way)}`).toEqual(expected[status])
        expect(page).toMatchObject({ nextCursor: null, searchedBackTo: null })
        for (const item of page.items) expect(deliveryStatusOf(item.deliveryCounts)).toBe(status)
      }
    }
    // Few dead deliveries: listed from them whatever the scan budget; many: within the budget.
    const fromDeliveries = await store.listEvents({ status: 'failed' }, { limit: 2 }, budget(1, 1))
    expect(ids(fromDeliveries)).toEqual(expected.failed.slice(0, 2))
    expect(fromDeliveries.searchedBackTo).toBeNull()
    const rest = await store.listEvents(
      { status: 'failed' },
      { limit: 2, cursor: fromDeliveries.nextCursor! },
    )
    expect(ids(rest)).toEqual(expected.failed.slice(2))
    const scanned = await store.listEvents(
      { status: 'failed' },
      { limit: 50 },
      { ...budget(4, 2), ...scanOnly },
    )
    // The newest four events (9…6) are not failed: nothing found, and it says how far it looked.
    expect(ids(scanned)).toEqual([])
    expect(scanned.searchedBackTo).toBe(events[6]!.receivedAt)
    const all = await store.listEvents({}, { limit: 50 })
    expect(all.items.find((e) => e.id === events[4]!.id)!.deliveryCounts).toEqual({
      open: 1,
      succeeded: 0,
      dead: 1,
      discarded: 0,
    })
    expect(all.items.find((e) => e.id === events[0]!.id)!.deliveryCounts).toEqual({
      open: 0,
      succeeded: 0,
      dead: 0,
      discarded: 0,
    })
    // With text and with the other filters; and bounded like a body search.
    expect(ids(await store.listEvents({ status: 'failed', q: 'ContactCreate' }, { limit: 50 }))).toEqual(
      expected.failed,
    )
    expect(ids(await store.listEvents({ status: 'failed', q: events[4]!.id }, { limit: 50 }))).toEqual([
      events[4]!.id,
    ])
    expect(ids(await store.listEvents({ status: 'failed', source: 'other' }, { limit: 50 }))).toEqual([])
    const bounded = await store.listEvents({ status: 'none' }, { limit: 50 }, budget(5, 5))
    expect(ids(bounded)).toEqual([])
    expect(bounded.searchedBackTo).toBe(events[5]!.receivedAt)
  })

  it("entityEvents lists one entity's events oldest first, with bodies, from a sequence number on", async () => {
    const of = (entityKind: string, entityId: string, i: number) =>
      sampleEvent({ entityKind, entityId, receivedAt: T + i, rawBody: Buffer.from(`{"n":${i}}`) })
    const mine = [of('contact', 'k1', 0), of('contact', 'k1', 2), of('contact', 'k1', 4)]
    await store.insertEvents([mine[0]!, of('contact', 'k2', 1), of('opportunity', 'k1', 1)])
    await store.insertEvents([mine[1]!, mine[2]!])
    const first = await store.entityEvents({ entityKind: 'contact', entityId: 'k1', limit: 2 })
    expect(first.map((e) => e.id)).toEqual([mine[0]!.id, mine[1]!.id])
    expect(first[1]!.rawBody.toString()).toBe('{"n":2}')
    const rest = await store.entityEvents({
      entityKind: 'contact',
      entityId: 'k1',
      fromSeq: first[1]!.seq,
      limit: 5,
    })
    expect(rest.map((e) => e.id)).toEqual([mine[1]!.id, mine[2]!.id])
    expect(await store.entityEvents({ entityKind: 'contact', entityId: 'none', limit: 5 })).toEqual([])
  })
})
