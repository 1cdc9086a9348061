import { afterEach, describe, expect, it } from 'vitest'
import { Worker } from '../src/deliver/worker.js'
import { SubscriberRegistry } from '../src/dispatch/registry.js'
import { retryPolicy } from '../src/dispatch/retry-policy.js'
import type { Subscriber } from '../src/dispatch/subscribers.js'
import { newId } from '../src/ids.js'
import { createLogger } from '../src/observe/logger.js'
import { createMetrics } from '../src/observe/metrics.js'
import type { NewDelivery, NewEvent, Store } from '../src/store/types.js'
import { sampleEvent } from './support/sample-event.js'
import { STORE_HARNESSES, storePerTest } from './support/store-harness.js'
import { until } from './support/until.js'

/**
 * The worker's two ways round a claim per delivery, on real stores: deliveries leased at ingest
 * (`lease` before the commit, `settle` after it) and deliveries claimed ahead and held in memory.
 * What must hold: only deliveries a free slot can start at once are leased at ingest (never an
 * ordered one, never past the subscriber's concurrency), a failed commit gives its slots back,
 * and held deliveries go back to pending, uncounted, when the worker stops.
 */
describe.each(STORE_HARNESSES)('worker handoff and claim-ahead: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  storePerTest(harness, (fresh) => {
    store = fresh
  })
  let worker: Worker | undefined
  afterEach(async () => {
    await worker?.stop(1000)
    worker = undefined
  })

  /** A handler whose attempts wait until `release()`; `ran` lists the deliveries it started. */
  const blockingHandler = (id: string, concurrency: number, ordered = false) => {
    const ran: string[] = []
    let open!: () => void
    const gate = new Promise<void>((resolve) => {
      open = resolve
    })
    const subscriber: Subscriber = {
      id,
      kind: 'handler',
      events: ['*'],
      ordered: ordered ? 'entity' : undefined,
      retry: retryPolicy(),
      concurrency,
      timeoutMs: 10_000,
      run: async (delivery) => {
        ran.push(delivery.id)
        await gate
        return { outcome: 'success' }
      },
    }
    return { subscriber, ran, release: () => open() }
  }
  const startWorker = (registry: SubscriberRegistry) => {
    worker = new Worker({
      store,
      registry,
      logger: createLogger({ level: 'silent' }),
      metrics: createMetrics(),
      id: 'w-test',
      concurrency: 8,
      pollIntervalMs: 60_000,
    })
    worker.start()
    return worker
  }
  const eventFor = (subscriberId: string, orderingKey: string | null = null): NewEvent => {
    const delivery: NewDelivery = { id: newId('dlv'), subscriberId, orderingKey, runAt: Date.now() }
    return sampleEvent({ receivedAt: Date.now(), deliveries: [delivery] })
  }

  it('leases at ingest what a free slot can start, runs it after the commit, and records one attempt', async () => {
    const registry = new SubscriberRegistry()
    const h = blockingHandler('h', 2)
    registry.add(h.subscriber)
    const w = startWorker(registry)
    const events = Array.from({ length: 5 }, () => eventFor('h'))
    w.lease(events)
    // Two slots, and two places behind them (held): the fifth waits for a claim.
    const owners = events.map((e) => e.deliveries[0]!.lease?.owner ?? null)
    expect(owners).toEqual(['w-test', 'w-test', 'w-test', 'w-test', null])
    const outcomes = await store.insertEvents(events)
    w.settle(events, outcomes)
    const ids = events.map((e) => e.deliveries[0]!.id)
    expect(h.ran).toEqual(ids.slice(0, 2))
    const held = await store.getDelivery(ids[3]!)
    expect(held).toMatchObject({ state: 'leased', leaseOwner: 'w-test', attempts: 1 })
    expect(await store.getDelivery(ids[4]!)).toMatchObject({ state: 'pending', attempts: 0 })
    h.release()
    w.wake()
    await until(async () => (await store.countBacklog()) === 0, 'an empty backlog')
    // Held ones in the order they were leased; the claimed one after them.
    expect(h.ran).toEqual(ids)
    for (const id of ids) {
      const [history] = await store.eventDeliveries((await store.getDelivery(id!))!.eventId)
      expect(history).toMatchObject({ state: 'succeeded', attempts: 1 })
      expect(history!.attemptHistory.map((a) => a.outcome)).toEqual(['succeeded'])
    }
  })

  it('never leases at ingest a delivery of an ordered subscriber (an older one of its entity may be open)', async () => {
    const registry = new SubscriberRegistry()
    registry.add(blockingHandler('o', 4, true).subscriber)
    const w = startWorker(registry)
    const event = eventFor('o', 'o|crm|contact:c1')
    w.lease([event])
    expect(event.deliveries[0]!.lease).toBeUndefined()
  })

  it('a failed commit forgets its leases and gives their slots back', async () => {
    const registry = new SubscriberRegistry()
    const h = blockingHandler('h', 1)
    registry.add(h.subscriber)
    const w = startWorker(registry)
    const lost = eventFor('h')
    w.lease([lost])
    expect(lost.deliveries[0]!.lease).toBeDefined()
    w.settle([lost], undefined)
    expect(lost.deliveries[0]!.lease).toBeUndefined()
    // The one slot is free again for the retried commit.
    w.lease([lost])
    expect(lost.deliveries[0]!.lease).toBeDefined()
    w.settle([lost], await store.insertEvents([lost]))
    expect(h.ran).toEqual([lost.deliveries[0]!.id])
    h.release()
  })

  it('claims ahead for a subscriber without a rate limit, and gives held deliveries back uncounted when it stops', async () => {
    const registry = new SubscriberRegistry()
    const h = blockingHandler('h', 1)
    registry.add(h.subscriber)
    const events = Array.from({ length: 6 }, () => eventFor('h'))
    await store.insertEvents(events)
    const w = startWorker(registry)
    await until(() => h.ran.length === 1, 'one run')
    // One running, two more rounds of its concurrency held: three leased, three still pending.
    await until(async () => {
      const states = await Promise.all(
        events.map(async (e) => (await store.getDelivery(e.deliveries[0]!.id))!.state),
      )
      return states.filter((s) => s === 'leased').length === 3
    }, 'three leased')
    const stopping = w.stop(5000)
    h.release()
    await stopping
    worker = undefined
    const rows = await Promise.all(events.map((e) => store.getDelivery(e.deliveries[0]!.id)))
    expect(rows.filter((d) => d!.state === 'succeeded')).toHaveLength(1)
    expect(
      rows.filter((d) => d!.state === 'pending').every((d) => d!.attempts === 0 && d!.leaseOwner === null),
    ).toBe(true)
    expect(rows.filter((d) => d!.state === 'pending')).toHaveLength(5)
  })
})
