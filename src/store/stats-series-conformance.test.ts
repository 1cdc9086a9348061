import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import { newId } from '../ids.js'
import type { AttemptResult, NewDelivery, Store } from './types.js'

/**
 * statsSeries (sql/stats-series.ts), the console's charts, on each store: events, attempts and
 * delivery state changes at known times give exact counts per bucket. Every time is an offset
 * from S, the range's start; buckets are one minute.
 */

const S = 1_700_000_040_000
const MIN = 60_000
const range = { start: S, bucketMs: MIN, buckets: 5 }

describe.each(STORE_HARNESSES)('Charts over time (statsSeries): %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  storePerTest(harness, (fresh) => {
    store = fresh
  })

  /** An event received at `at`, with one delivery to `subscriberId` (if given), due at once. */
  const receive = async (at: number, subscriberId?: string): Promise<NewDelivery | undefined> => {
    const delivery = subscriberId
      ? { id: newId('dlv'), subscriberId, orderingKey: null, runAt: at }
      : undefined
    await store.insertEvents([sampleEvent({ receivedAt: at, deliveries: delivery ? [delivery] : [] })])
    return delivery
  }
  /** Claims the delivery at `at` and records one 5 ms attempt started then, finishing as `next`. */
  const attempt = async (d: NewDelivery, at: number, next: AttemptResult['next'], number = 1) => {
    const claimed = await store.claimDeliveries({
      worker: 'w',
      now: at,
      leaseMs: 60_000,
      slots: [{ subscriberId: d.subscriberId, limit: 1 }],
    })
    expect(claimed.map((c) => c.id)).toEqual([d.id])
    const failed = next.state !== 'succeeded'
    const applied = await store.finishAttempts(
      [
        {
          deliveryId: d.id,
          worker: 'w',
          attempt: {
            id: newId('att'),
            number,
            cycle: 0,
            startedAt: at,
            durationMs: 5,
            errorClass: failed ? 'Error' : null,
            errorMessage: failed ? 'HTTP 500' : null,
            errorStack: null,
            response: null,
          },
          next,
        },
      ],
      at + 5,
    )
    expect(applied).toEqual([true])
  }

  it('is all zeros on an empty store, one number per bucket', async () => {
    const zeros = [0, 0, 0, 0, 0]
    expect(await store.statsSeries(range)).toEqual({
      ...range,
      received: zeros,
      delivered: zeros,
      failed: zeros,
      backlog: zeros,
      dead: zeros,
    })
  })

  it('counts received events and attempts per bucket, backlog and DLQ size at each bucket’s end', async () => {
    // Dead-lettered before the range: the DLQ starts at 1.
    const old = (await receive(S - 10 * MIN, 'old'))!
    await attempt(old, S - 9 * MIN, { state: 'dead', error: 'HTTP 400' })
    // Received before the range, open through bucket 0, dead in bucket 1.
    const d0 = (await receive(S - 30_000, 'a'))!
    await attempt(d0, S + 65_000, { state: 'dead', error: 'HTTP 400' })
    // Received in bucket 0: retried in bucket 1, succeeded in bucket 2.
    const d1 = (await receive(S + 10_000, 'b'))!
    await attempt(d1, S + 70_000, { state: 'retry_scheduled', runAt: S + 100_000, error: 'HTTP 503' })
    await attempt(d1, S + 125_000, { state: 'succeeded' }, 2)
    // Received in bucket 0 and still open.
    await receive(S + 20_000, 'c')
    // Bucket 3: one event without deliveries, one dead-lettered in the same bucket.
    await receive(S + 190_000)
    const d5 = (await receive(S + 200_000, 'e'))!
    await attempt(d5, S + 205_000, { state: 'dead', error: 'HTTP 400' })
    // After the range: counted nowhere.
    await receive(S + 5 * MIN + 1)

    const series = await store.statsSeries(range)
    expect(series).toEqual({
      ...range,
      received: [2, 0, 0, 2, 0],
      delivered: [0, 0, 1, 0, 0],
      failed: [0, 2, 0, 1, 0],
      backlog: [3, 2, 1, 1, 1],
      dead: [1, 2, 2, 3, 3],
    })

    // A replay in bucket 4 starts a new cycle: the delivery counts as open from then, and its
    // earlier cycle (open in bucket 0, then in the DLQ) is no longer known: what the current state
    // cannot tell (stats-series.ts).
    expect(await store.replayDeliveries({ subscriberId: 'a' }, S + 250_000, 10)).toBe(1)
    const replayed = await store.statsSeries(range)
    expect(replayed.backlog).toEqual([2, 2, 1, 1, 2])
    expect(replayed.dead).toEqual([1, 1, 1, 2, 2])
    expect(replayed.received).toEqual(series.received)
  })

  it('counts an event at a bucket’s first millisecond in that bucket, and one a millisecond earlier in the one before', async () => {
    await receive(S + MIN - 1)
    await receive(S + MIN)
    await receive(S + 4 * MIN)
    expect((await store.statsSeries(range)).received).toEqual([1, 1, 0, 0, 1])
  })
})
