import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../../test/support/databases.js'
import { createMetrics } from '../observe/metrics.js'
import { openStore } from '../store/open-store.js'
import type { Store } from '../store/types.js'
import { GhlRateLimitedError } from './errors.js'
import { readRateLimitAnswer } from './rate-limit-headers.js'
import { SharedGhlRateLimiter } from './shared-rate-limiter.js'

/** The limiter on a real SQLite store: short waits are waited, long ones rejected with the right delay. */

const OWNER = { appId: 'app_1', userType: 'Location', ownerId: 'loc_1' } as const

describe('SharedGhlRateLimiter', () => {
  let file: ReturnType<typeof freshSqliteFile>
  let store: Store
  beforeEach(async () => {
    file = freshSqliteFile()
    store = openStore({ url: file.url })
    await store.migrate()
  })
  afterEach(async () => {
    await store.close()
    file.remove()
  })

  const metricValues = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
    (await metrics.registry.getSingleMetric(name)!.get()).values

  it('waits for a slot that frees within maxWaitMs, and rejects at once with the wait when it frees later', async () => {
    const metrics = createMetrics()
    const limiter = new SharedGhlRateLimiter({
      store,
      limits: { burst: 3, windowMs: 300, daily: 1000 },
      maxWaitMs: 1000,
      metrics,
    })
    const started = Date.now()
    for (let i = 0; i < 4; i++) await limiter.acquire(OWNER)
    // The fourth waited for the first to leave the 300-ms window.
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)

    const slow = new SharedGhlRateLimiter({
      store,
      limits: { burst: 3, windowMs: 5000, daily: 1000 },
      maxWaitMs: 100,
      metrics,
    })
    for (let i = 0; i < 3; i++) await slow.acquire({ ...OWNER, ownerId: 'loc_2' })
    const before = Date.now()
    const error = await slow.acquire({ ...OWNER, ownerId: 'loc_2' }).catch((e: unknown) => e)
    expect(Date.now() - before).toBeLessThan(100)
    expect(error).toBeInstanceOf(GhlRateLimitedError)
    expect(error).toMatchObject({ window: 'burst' })
    expect((error as GhlRateLimitedError).retryAfterMs).toBeGreaterThan(4000)
    expect((error as GhlRateLimitedError).retryAfterMs).toBeLessThanOrEqual(5000)
    expect(await metricValues(metrics, 'ghl_gateway_ghl_rate_limit_waits_total')).toEqual([
      expect.objectContaining({ labels: { window: 'burst' }, value: 2 }),
    ])
  })

  it("an answered call counts until a window after its answer, in every process's view", async () => {
    const limiter = new SharedGhlRateLimiter({
      store,
      limits: { burst: 1, windowMs: 400, daily: 1000 },
      maxWaitMs: 0,
    })
    await limiter.acquire(OWNER)
    await new Promise((resolve) => setTimeout(resolve, 250))
    const answeredAt = Date.now()
    limiter.observe(OWNER, 200, {})
    // Without the answer the slot would free 400 ms after the grant; it frees 400 ms after the answer.
    await expect
      .poll(async () => {
        const error = await limiter.acquire(OWNER).catch((e: unknown) => e)
        return error instanceof GhlRateLimitedError && error.retryAfterMs > 450 - (Date.now() - answeredAt)
      })
      .toBe(true)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, answeredAt + 150 - Date.now())))
    const refused = (await limiter.acquire(OWNER).catch((e: unknown) => e)) as GhlRateLimitedError
    expect(refused).toBeInstanceOf(GhlRateLimitedError)
    expect(refused.retryAfterMs).toBeGreaterThan(150)
  })

  it('a wait ends when the signal aborts', async () => {
    const limiter = new SharedGhlRateLimiter({
      store,
      limits: { burst: 1, windowMs: 800, daily: 1000 },
      maxWaitMs: 1000,
    })
    await limiter.acquire(OWNER)
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('handler timed out')), 50)
    const started = Date.now()
    await expect(limiter.acquire(OWNER, controller.signal)).rejects.toThrow('handler timed out')
    expect(Date.now() - started).toBeLessThan(600)
  })

  it('a 429 or a daily remaining of 0 pauses the owner for every limiter on the database; the daily pause is counted', async () => {
    const metrics = createMetrics()
    const limits = { burst: 90, windowMs: 10_000, daily: 190_000 }
    const one = new SharedGhlRateLimiter({ store, limits, maxWaitMs: 0, metrics })
    const sibling = openStore({ url: file.url })
    try {
      const two = new SharedGhlRateLimiter({ store: sibling, limits, maxWaitMs: 0 })
      one.observe(OWNER, 429, { 'x-ratelimit-interval-milliseconds': '10000', 'x-ratelimit-remaining': '0' })
      await expect
        .poll(() =>
          two.acquire(OWNER).then(
            () => 'granted',
            (e: GhlRateLimitedError) => e.window,
          ),
        )
        .toBe('burst')

      const daily = { ...OWNER, ownerId: 'loc_daily' }
      one.observe(daily, 200, { 'x-ratelimit-daily-remaining': '0', 'x-ratelimit-limit-daily': '200000' })
      const error = await expect
        .poll(() =>
          two.acquire(daily).then(
            () => undefined,
            (e: GhlRateLimitedError) => e,
          ),
        )
        .toBeDefined()
      void error
      const refused = (await two.acquire(daily).catch((e: unknown) => e)) as GhlRateLimitedError
      expect(refused.window).toBe('daily')
      expect(refused.retryAfterMs).toBeGreaterThan(86_400_000 - (Date.now() % 86_400_000) - 5000)
      expect(await metricValues(metrics, 'ghl_gateway_ghl_rate_limit_daily_paused')).toEqual([
        expect.objectContaining({ value: 1 }),
      ])
    } finally {
      await sibling.close()
    }
  })
})

describe('readRateLimitAnswer', () => {
  it('reads pauses and announced limits from GHL headers; an ordinary answer records nothing', () => {
    expect(
      readRateLimitAnswer(
        200,
        { 'x-ratelimit-remaining': '57', 'x-ratelimit-daily-remaining': '1999' },
        10_000,
      ),
    ).toBeUndefined()
    expect(
      readRateLimitAnswer(
        200,
        { 'x-ratelimit-remaining': '0', 'x-ratelimit-interval-milliseconds': '10000' },
        1,
      ),
    ).toEqual({
      pause: { window: 'burst', forMs: 10_000 },
      announced: { windowMs: 10_000 },
    })
    expect(readRateLimitAnswer(429, {}, 10_000)).toEqual({ pause: { window: 'burst', forMs: 10_000 } })
    expect(readRateLimitAnswer(429, { 'retry-after': '3' }, 10_000)).toEqual({
      pause: { window: 'burst', forMs: 3000 },
    })
    expect(readRateLimitAnswer(429, { 'x-ratelimit-daily-remaining': '0' }, 10_000)).toEqual({
      pause: { window: 'daily' },
    })
    expect(
      readRateLimitAnswer(
        200,
        { 'x-ratelimit-max': '50', 'x-ratelimit-limit-daily': ['100000'], 'x-ratelimit-remaining': 'x' },
        10_000,
      ),
    ).toEqual({ announced: { burst: 50, daily: 100_000 } })
  })
})
