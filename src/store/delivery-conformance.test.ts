import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import { newId } from '../ids.js'
import { DELIVERY_STATES } from './delivery-states.js'
import type { AttemptResult, NewDelivery, NewEvent, Store } from './types.js'

/**
 * The delivery state machine (delivery-states.ts) as each store implements it, driven through the
 * Store interface alone: claim order, per-entity ordering, lease loss, release, finishing, replay,
 * discard and retention. Fixed clocks: every time is an offset from T.
 */

const T = 1_700_000_000_000

describe.each(STORE_HARNESSES)('Delivery state machine: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  storePerTest(harness, (fresh) => {
    store = fresh
  })

  const planned = (subscriberId: string, runAt = T, orderingKey: string | null = null): NewDelivery => ({
    id: newId('dlv'),
    subscriberId,
    orderingKey,
    runAt,
  })
  /** One event per delivery, inserted in order (so event order is array order). */
  const insert = async (deliveries: NewDelivery[], receivedAt = T): Promise<NewEvent[]> => {
    const events = deliveries.map((d) => sampleEvent({ receivedAt, deliveries: [d] }))
    await store.insertEvents(events)
    return events
  }
  const claim = (worker: string, now: number, slots: Record<string, number>, leaseMs = 60_000) =>
    store.claimDeliveries({
      worker,
      now,
      leaseMs,
      slots: Object.entries(slots).map(([subscriberId, limit]) => ({ subscriberId, limit })),
    })
  const claimedIds = async (worker: string, now: number, slots: Record<string, number>, leaseMs?: number) =>
    (await claim(worker, now, slots, leaseMs)).map((d) => d.id).sort()
  const finish = (
    deliveryId: string,
    worker: string,
    next: AttemptResult['next'],
    now: number,
    number = 1,
    cycle = 0,
  ) =>
    store.finishAttempts(
      [
        {
          deliveryId,
          worker,
          attempt: {
            id: newId('att'),
            number,
            cycle,
            startedAt: now - 5,
            durationMs: 5,
            errorClass: next.state === 'succeeded' ? null : 'Error',
            errorMessage: next.state === 'succeeded' ? null : next.error,
            errorStack: null,
            response: null,
          },
          next,
        },
      ],
      now,
    )
  /** Claims one delivery (the only one of its subscriber) and reports `next` for it. */
  const settle = async (d: NewDelivery, next: AttemptResult['next'], now = T + 10) => {
    expect(await claimedIds('w', now, { [d.subscriberId]: 1 })).toEqual([d.id])
    expect(await finish(d.id, 'w', next, now + 1)).toEqual([true])
  }

  it('claims due deliveries oldest due first, within each subscriber’s slots, never one leased or not due', async () => {
    const [late, early1, early2, future, other] = [
      planned('s', T + 30),
      planned('s', T + 10),
      planned('s', T + 10),
      planned('s', T + 500),
      planned('o', T),
    ]
    await insert([late, early1, early2, future, other])
    const first = await claim('w1', T + 100, { s: 2, o: 0 }, 1000)
    expect(first.map((d) => d.id).sort()).toEqual([early1.id, early2.id].sort())
    for (const d of first) {
      expect(d).toMatchObject({
        state: 'leased',
        leaseOwner: 'w1',
        runAt: T + 1100,
        attempts: 1,
        totalAttempts: 1,
        cycle: 0,
        updatedAt: T + 100,
      })
      expect(d.event.id).toBe(d.eventId)
    }
    // The leased ones are not claimed again before their lease runs out; the future one is not due.
    expect(await claimedIds('w2', T + 200, { s: 5 })).toEqual([late.id])
    expect(await claimedIds('w2', T + 200, { s: 5 })).toEqual([])
    expect(await claimedIds('w2', T + 200, { o: 1, none: 3 })).toEqual([other.id])
    expect(await store.countBacklog()).toBe(5)
  })

  it('runs an entity’s deliveries one at a time in event order; a waiting retry holds back, a dead head does not', async () => {
    const [a1, a2, b1, free, a3] = [
      planned('s', T, 'k:a'),
      planned('s', T, 'k:a'),
      planned('s', T, 'k:b'),
      planned('s', T, null),
      planned('s', T, 'k:a'),
    ]
    await insert([a1, a2, b1, free, a3])
    expect(await claimedIds('w', T + 1, { s: 10 })).toEqual([a1.id, b1.id, free.id].sort())
    expect(
      await finish(a1.id, 'w', { state: 'retry_scheduled', runAt: T + 1000, error: 'try later' }, T + 2),
    ).toEqual([true])
    // a1 waits for its retry (not due): still the head of k:a.
    expect(await claimedIds('w', T + 3, { s: 10 })).toEqual([])
    expect(await claimedIds('w', T + 1000, { s: 10 })).toEqual([a1.id])
    expect(await finish(a1.id, 'w', { state: 'dead', error: 'gave up' }, T + 1001, 2)).toEqual([true])
    expect(await claimedIds('w', T + 1002, { s: 10 })).toEqual([a2.id])
    expect(await finish(a2.id, 'w', { state: 'succeeded' }, T + 1003)).toEqual([true])
    expect(await claimedIds('w', T + 1004, { s: 10 })).toEqual([a3.id])
  })

  it('moves a lease on when its holder reports: success, a retry at its time, dead with its error', async () => {
    const [ok, retry, dead] = [planned('a'), planned('b'), planned('c')]
    await insert([ok, retry, dead])
    await settle(ok, { state: 'succeeded' }, T + 10)
    await settle(retry, { state: 'retry_scheduled', runAt: T + 5000, error: 'HTTP 503' }, T + 10)
    await settle(dead, { state: 'dead', error: 'HTTP 400' }, T + 10)
    const done = { leaseOwner: null, attempts: 1, totalAttempts: 1, updatedAt: T + 11 }
    expect(await store.getDelivery(ok.id)).toMatchObject({
      ...done,
      state: 'succeeded',
      lastError: null,
      completedAt: T + 11,
    })
    expect(await store.getDelivery(retry.id)).toMatchObject({
      ...done,
      state: 'retry_scheduled',
      runAt: T + 5000,
      lastError: 'HTTP 503',
      completedAt: null,
    })
    expect(await store.getDelivery(dead.id)).toMatchObject({
      ...done,
      state: 'dead',
      lastError: 'HTTP 400',
      completedAt: T + 11,
    })
    expect(
      (await store.eventDeliveries((await store.getDelivery(retry.id))!.eventId))[0]!.attemptHistory,
    ).toMatchObject([{ number: 1, cycle: 0, worker: 'w', outcome: 'retry', errorMessage: 'HTTP 503' }])
    expect(await store.countBacklog()).toBe(1)
  })

  it('keeps the trace context: the event’s traceparent and tracestate come with its claim, each attempt its trace id (or null)', async () => {
    const traceParent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
    const traceState = 'congo=t61rcWkgMzE'
    const [traced, plain] = [planned('t'), planned('p')]
    await store.insertEvents([
      sampleEvent({ receivedAt: T, traceParent, traceState, deliveries: [traced] }),
      sampleEvent({ receivedAt: T, deliveries: [plain] }),
    ])
    const claimed = await claim('w', T + 10, { t: 1, p: 1 })
    expect(
      Object.fromEntries(claimed.map((d) => [d.subscriberId, [d.event.traceParent, d.event.traceState]])),
    ).toEqual({
      t: [traceParent, traceState],
      p: [null, null],
    })
    const attempt = (traceId?: string) => ({
      id: newId('att'),
      number: 1,
      cycle: 0,
      startedAt: T + 10,
      durationMs: 5,
      errorClass: null,
      errorMessage: null,
      errorStack: null,
      response: null,
      ...(traceId ? { traceId } : {}),
    })
    expect(
      await store.finishAttempts(
        [
          {
            deliveryId: traced.id,
            worker: 'w',
            attempt: attempt('0af7651916cd43dd8448eb211c80319c'),
            next: { state: 'succeeded' },
          },
          { deliveryId: plain.id, worker: 'w', attempt: attempt(), next: { state: 'succeeded' } },
        ],
        T + 20,
      ),
    ).toEqual([true, true])
    const history = async (d: NewDelivery) =>
      (await store.eventDeliveries((await store.getDelivery(d.id))!.eventId))[0]!.attemptHistory
    expect(await history(traced)).toMatchObject([{ traceId: '0af7651916cd43dd8448eb211c80319c' }])
    expect(await history(plain)).toMatchObject([{ traceId: null }])
  })

  it('a deferral (GHL’s rate limit) gives back the attempt its claim counted, in the same batch as ordinary retries, and keeps it in the log', async () => {
    const [deferred, failed] = [planned('a'), planned('b')]
    const [event] = await insert([deferred, failed])
    expect(await claimedIds('w', T + 10, { a: 1, b: 1 })).toEqual([deferred.id, failed.id].sort())
    const result = (d: NewDelivery, next: AttemptResult['next']): AttemptResult => ({
      deliveryId: d.id,
      worker: 'w',
      attempt: {
        id: newId('att'),
        number: 1,
        cycle: 0,
        startedAt: T + 10,
        durationMs: 5,
        errorClass: 'RetryableError',
        errorMessage: next.state === 'succeeded' ? null : next.error,
        errorStack: null,
        response: null,
      },
      next,
    })
    const waitError = 'GhlRateLimitedError: rate limited (deferred)'
    expect(
      await store.finishAttempts(
        [
          result(deferred, { state: 'retry_scheduled', runAt: T + 100, error: waitError, deferred: true }),
          result(failed, { state: 'retry_scheduled', runAt: T + 100, error: 'HTTP 503' }),
        ],
        T + 20,
      ),
    ).toEqual([true, true])
    expect(await store.getDelivery(deferred.id)).toMatchObject({
      state: 'retry_scheduled',
      runAt: T + 100,
      attempts: 0,
      totalAttempts: 1,
      lastError: waitError,
    })
    expect(await store.getDelivery(failed.id)).toMatchObject({ attempts: 1, totalAttempts: 1 })
    expect((await store.eventDeliveries(event!.id))[0]!.attemptHistory).toMatchObject([
      { number: 1, outcome: 'retry', errorMessage: waitError },
    ])
    // The next run has the same number: the claim counts it again.
    expect((await claim('w', T + 100, { a: 1 })).map((d) => d.attempts)).toEqual([1])
  })
  it('takes over a lease that ran out: records it as lost, and the old holder’s late report changes nothing', async () => {
    const [d] = await insert([planned('s')]).then((events) => events.map((e) => e.deliveries[0]!))
    expect(await claimedIds('w1', T, { s: 1 }, 1000)).toEqual([d!.id])
    expect(await claimedIds('w2', T + 999, { s: 1 })).toEqual([])
    const [taken] = await claim('w2', T + 2000, { s: 1 }, 1000)
    expect(taken).toMatchObject({
      id: d!.id,
      leaseOwner: 'w2',
      attempts: 2,
      totalAttempts: 2,
      runAt: T + 3000,
    })

    expect(await finish(d!.id, 'w1', { state: 'succeeded' }, T + 2100)).toEqual([false])
    expect(await store.releaseDeliveries([d!.id], 'w1', T + 2100)).toBe(0)
    expect(await store.getDelivery(d!.id)).toMatchObject({ state: 'leased', leaseOwner: 'w2' })

    expect(await finish(d!.id, 'w2', { state: 'succeeded' }, T + 2200, 2)).toEqual([true])
    const [history] = await store.eventDeliveries(taken!.eventId)
    expect(history).toMatchObject({ state: 'succeeded', leaseOwner: null })
    expect(history!.attemptHistory).toMatchObject([
      {
        number: 1,
        cycle: 0,
        worker: 'w1',
        outcome: 'lease_lost',
        errorClass: 'LeaseExpired',
        startedAt: T,
        durationMs: 2000,
      },
      { number: 1, worker: 'w1', outcome: 'lease_lost' },
      { number: 2, worker: 'w2', outcome: 'succeeded' },
    ])
  })

  it('stores a delivery leased at ingest like a claimed one: its holder finishes it; after its lease, another takes it over', async () => {
    const leased = { ...planned('s'), lease: { owner: 'w1', until: T + 1000 } }
    const [plain] = await insert([leased, planned('s')]).then((events) =>
      events.map((e) => e.deliveries[0]!).slice(1),
    )
    expect(await store.getDelivery(leased.id)).toMatchObject({
      state: 'leased',
      leaseOwner: 'w1',
      runAt: T + 1000,
      attempts: 1,
      totalAttempts: 1,
      cycle: 0,
    })
    // Not due while its lease lasts; the pending one is.
    expect(await claimedIds('w2', T + 999, { s: 5 })).toEqual([plain!.id])
    // Its holder reports as if it had claimed it.
    expect(await finish(leased.id, 'w1', { state: 'succeeded' }, T + 10)).toEqual([true])
    expect(await store.getDelivery(leased.id)).toMatchObject({ state: 'succeeded', leaseOwner: null })

    // A holder that crashed: the lease runs out and the next claim records it as lost.
    const orphan = { ...planned('s'), lease: { owner: 'w1', until: T + 1000 } }
    await insert([orphan])
    expect(await claimedIds('w2', T + 999, { s: 5 })).toEqual([])
    const [taken] = await claim('w2', T + 1000, { s: 5 })
    expect(taken).toMatchObject({ id: orphan.id, leaseOwner: 'w2', attempts: 2, totalAttempts: 2 })
    expect(await finish(orphan.id, 'w2', { state: 'succeeded' }, T + 1100, 2)).toEqual([true])
    const [history] = await store.eventDeliveries(taken!.eventId)
    expect(history!.attemptHistory).toMatchObject([
      { number: 1, worker: 'w1', outcome: 'lease_lost' },
      { number: 2, worker: 'w2', outcome: 'succeeded' },
    ])
  })

  it('releases an unstarted lease back to pending without counting an attempt, for its holder only', async () => {
    const [d] = (await insert([planned('s')])).map((e) => e.deliveries[0]!)
    expect(await claimedIds('w1', T, { s: 1 })).toEqual([d!.id])
    expect(await store.releaseDeliveries([d!.id], 'w2', T + 5)).toBe(0)
    expect(await store.releaseDeliveries([d!.id, 'dlv_missing'], 'w1', T + 5)).toBe(1)
    expect(await store.getDelivery(d!.id)).toMatchObject({
      state: 'pending',
      leaseOwner: null,
      runAt: T + 5,
      attempts: 0,
      totalAttempts: 0,
    })
    expect((await claim('w2', T + 6, { s: 1 }))[0]).toMatchObject({ id: d!.id, attempts: 1 })
  })

  it('replays finished deliveries as a new cycle, oldest first up to the limit, never an open one', async () => {
    const [open, ok, dead, purged] = [planned('d'), planned('a'), planned('b'), planned('c')]
    await insert([open, ok, dead, purged])
    await settle(ok, { state: 'succeeded' })
    await settle(dead, { state: 'dead', error: 'HTTP 400' })
    await settle(purged, { state: 'dead', error: 'HTTP 400' })
    expect(await store.discardDeliveries({ subscriberId: 'c' }, T + 20)).toBe(1)

    // Even a filter naming every state leaves the open delivery (the oldest) alone.
    expect(await store.replayDeliveries({ states: DELIVERY_STATES }, T + 100, 2)).toBe(1)
    expect(await store.getDelivery(open.id)).toMatchObject({ state: 'pending', cycle: 0 })
    expect(await store.getDelivery(ok.id)).toMatchObject({ state: 'pending', cycle: 1 })
    // Without states: the finished ones, oldest first; the replayed one is open now.
    expect(await store.replayDeliveries({}, T + 200, 1)).toBe(1)
    expect(await store.getDelivery(purged.id)).toMatchObject({ state: 'discarded', cycle: 0 })
    expect(await store.getDelivery(dead.id)).toMatchObject({
      state: 'pending',
      cycle: 1,
      attempts: 0,
      totalAttempts: 1,
      runAt: T + 200,
      cycleStartedAt: T + 200,
      completedAt: null,
      leaseOwner: null,
    })
    expect(await store.replayDeliveries({}, T + 250, 10)).toBe(1)
    expect(await store.getDelivery(purged.id)).toMatchObject({ state: 'pending', cycle: 1 })

    const [again] = await claim('w', T + 300, { b: 1 })
    expect(again).toMatchObject({ id: dead.id, cycle: 1, attempts: 1, totalAttempts: 2 })
    expect(await finish(dead.id, 'w', { state: 'succeeded' }, T + 301, 1, 1)).toEqual([true])
    const [history] = await store.eventDeliveries(again!.eventId)
    expect(history!.attemptHistory.map((a) => [a.cycle, a.number, a.outcome])).toEqual([
      [0, 1, 'dead'],
      [1, 1, 'succeeded'],
    ])
  })

  it('discards only dead deliveries the filter matches, whatever states it names', async () => {
    const [deadA, deadB, ok] = [planned('a'), planned('b'), planned('a2')]
    await insert([deadA, deadB, ok])
    await settle(deadA, { state: 'dead', error: 'boom: timeout' })
    await settle(deadB, { state: 'dead', error: 'HTTP 410' })
    await settle(ok, { state: 'succeeded' })
    expect(await store.discardDeliveries({ states: ['succeeded', 'dead'], error: 'timeout' }, T + 50)).toBe(1)
    expect(await store.getDelivery(deadA.id)).toMatchObject({
      state: 'discarded',
      updatedAt: T + 50,
      completedAt: T + 50,
    })
    expect(await store.getDelivery(ok.id)).toMatchObject({ state: 'succeeded' })
    expect(await store.discardDeliveries({}, T + 60)).toBe(1)
    expect(await store.discardDeliveries({}, T + 70)).toBe(0)
    expect((await store.listDeliveries({ states: ['dead'] }, { limit: 10 })).items).toEqual([])
  })

  it('prunes old events whose deliveries are all succeeded or discarded, oldest first, with their deliveries', async () => {
    const [succeeded] = (await insert([planned('a')], T - 5000)).map((e) => e.deliveries[0]!)
    const [discarded] = (await insert([planned('b')], T - 4000)).map((e) => e.deliveries[0]!)
    const [dead] = (await insert([planned('c')], T - 3000)).map((e) => e.deliveries[0]!)
    const [pending] = await insert([planned('d')], T - 2000)
    const bare = sampleEvent({ receivedAt: T - 1000 })
    await store.insertEvents([bare])
    const [recent] = (await insert([planned('e')], T + 1000)).map((e) => e.deliveries[0]!)
    await settle(succeeded!, { state: 'succeeded' })
    await settle(discarded!, { state: 'dead', error: 'x' })
    await store.discardDeliveries({ subscriberId: 'b' }, T + 20)
    await settle(dead!, { state: 'dead', error: 'x' })
    await settle(recent!, { state: 'succeeded' })

    expect(await store.pruneEvents(T, 2)).toBe(2)
    expect(await store.getDelivery(succeeded!.id)).toBeUndefined()
    expect(await store.getDelivery(discarded!.id)).toBeUndefined()
    expect(await store.pruneEvents(T, 10)).toBe(1)
    expect(await store.getEvent(bare.id)).toBeUndefined()
    expect(await store.pruneEvents(T, 10)).toBe(0)
    expect(await store.getDelivery(dead!.id)).toMatchObject({ state: 'dead' })
    expect(await store.getEvent(pending!.id)).toBeDefined()
    expect(await store.getDelivery(recent!.id)).toMatchObject({ state: 'succeeded' })
  })

  it('sums up the last hour: events, attempts by outcome, durations, open and dead deliveries, the oldest due', async () => {
    const [ok, dead, waiting, waiting2, due] = [
      planned('a'),
      planned('b'),
      planned('c'),
      planned('e'),
      planned('d', T + 40),
    ]
    await insert([ok, dead, waiting, waiting2, due], T)
    await settle(ok, { state: 'succeeded' }, T + 10)
    await settle(dead, { state: 'dead', error: 'x' }, T + 10)
    await settle(waiting, { state: 'retry_scheduled', runAt: T + 30, error: 'x' }, T + 10)
    await settle(waiting2, { state: 'retry_scheduled', runAt: T + 35, error: 'x' }, T + 10)
    const stats = await store.processingStats(T + 50)
    expect(stats).toEqual({
      eventsLastHour: 5,
      attemptsLastHour: 4,
      succeededLastHour: 1,
      deadLastHour: 1,
      recentDurationsMs: [5, 5, 5, 5],
      openDeliveries: 3,
      deadDeliveries: 1,
      oldestDueAt: T + 30,
    })
    // An hour later nothing is recent; nothing is due before its time.
    expect(await store.processingStats(T + 3_600_100)).toMatchObject({
      eventsLastHour: 0,
      attemptsLastHour: 0,
      recentDurationsMs: [],
      openDeliveries: 3,
    })
    expect((await store.processingStats(T + 20)).oldestDueAt).toBeNull()
  })
  it('reads a subscriber’s recent attempts newest first, with the answered status, within the last `scan` attempts', async () => {
    const [crm, other] = [planned('crm'), planned('other')]
    const [event] = await insert([crm, other])
    const report = async (d: NewDelivery, now: number, status: number, next: AttemptResult['next']) => {
      expect(await claimedIds('w', now, { [d.subscriberId]: 1 })).toEqual([d.id])
      const attempt = {
        id: newId('att', now),
        number: 1,
        cycle: 0,
        startedAt: now,
        durationMs: status === 200 ? 12 : 30,
        errorClass: status === 200 ? null : 'HttpStatusError',
        errorMessage: status === 200 ? null : `answered ${status}`,
        errorStack: 'never read here',
        response: { status, durationMs: 12, headers: {}, body: 'x'.repeat(100) },
      }
      expect(await store.finishAttempts([{ deliveryId: d.id, worker: 'w', attempt, next }], now + 1)).toEqual(
        [true],
      )
    }
    await report(crm, T + 10, 503, { state: 'retry_scheduled', runAt: T + 20, error: 'answered 503' })
    await report(crm, T + 20, 200, { state: 'succeeded' })
    await report(other, T + 30, 200, { state: 'succeeded' })

    const recent = await store.recentSubscriberAttempts('crm', 10, 100)
    expect(recent.map((a) => [a.status, a.outcome, a.durationMs])).toEqual([
      [200, 'succeeded', 12],
      [503, 'retry', 30],
    ])
    expect(recent[1]).toMatchObject({
      deliveryId: crm.id,
      eventId: event!.id,
      number: 1,
      startedAt: T + 10,
      errorClass: 'HttpStatusError',
      errorMessage: 'answered 503',
    })
    expect(await store.recentSubscriberAttempts('crm', 1, 100)).toHaveLength(1)
    // Bounded: the gateway's last attempt is `other`'s, so a scan of one finds none of crm's.
    expect(await store.recentSubscriberAttempts('crm', 10, 1)).toEqual([])
    expect(await store.recentSubscriberAttempts('nobody', 10, 100)).toEqual([])
  })
})
