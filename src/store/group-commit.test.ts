import { describe, expect, it } from 'vitest'
import { GroupCommit, QueueFullError } from './group-commit.js'

function recorder(options: { fail?: (items: number[]) => Error | undefined; delayMs?: number } = {}) {
  const batches: number[][] = []
  let inFlight = 0
  let maxInFlight = 0
  const commit = async (items: number[]) => {
    inFlight++
    maxInFlight = Math.max(maxInFlight, inFlight)
    batches.push(items)
    if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs))
    inFlight--
    const error = options.fail?.(items)
    if (error) throw error
    return items.map((i) => i * 10)
  }
  return { batches, commit, maxInFlight: () => maxInFlight }
}

describe('GroupCommit', () => {
  it('commits everything submitted in one turn of the event loop as one batch', async () => {
    const r = recorder()
    const gc = new GroupCommit({ commit: r.commit, maxBatch: 512, concurrency: 1, maxQueued: 10_000 })
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => gc.submit(i)))
    expect(results).toEqual(Array.from({ length: 100 }, (_, i) => i * 10))
    expect(r.batches.map((b) => b.length)).toEqual([100])
  })

  it('splits at maxBatch and keeps order', async () => {
    const r = recorder()
    const gc = new GroupCommit({ commit: r.commit, maxBatch: 30, concurrency: 1, maxQueued: 10_000 })
    await Promise.all(Array.from({ length: 100 }, (_, i) => gc.submit(i)))
    expect(r.batches.map((b) => b.length)).toEqual([30, 30, 30, 10])
    expect(r.batches.flat()).toEqual(Array.from({ length: 100 }, (_, i) => i))
  })

  it('collects the next batch while one is in flight, up to the concurrency', async () => {
    const r = recorder({ delayMs: 20 })
    const gc = new GroupCommit({ commit: r.commit, maxBatch: 10, concurrency: 2, maxQueued: 10_000 })
    await Promise.all(Array.from({ length: 50 }, (_, i) => gc.submit(i)))
    expect(r.maxInFlight()).toBe(2)
    expect(r.batches.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i))
  })

  it('fails the whole batch for an outage, but isolates row errors so neighbours commit', async () => {
    const outage = new Error('disk full')
    const r = recorder({
      fail: (items) => (items.includes(3) ? (items.length > 1 ? new Error('row 3') : outage) : undefined),
    })
    const gc = new GroupCommit({
      commit: r.commit,
      maxBatch: 10,
      concurrency: 1,
      maxQueued: 100,
      isolate: (error) => error !== outage,
    })
    const settled = await Promise.allSettled([1, 2, 3, 4].map((i) => gc.submit(i)))
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled'])
    expect((settled[2] as PromiseRejectedResult).reason).toBe(outage)
  })

  it('rejects past maxQueued and drains', async () => {
    const r = recorder({ delayMs: 5 })
    const gc = new GroupCommit({ commit: r.commit, maxBatch: 1, concurrency: 1, maxQueued: 2 })
    const accepted = [gc.submit(1), gc.submit(2)]
    await expect(gc.submit(3)).rejects.toBeInstanceOf(QueueFullError)
    expect(gc.pending).toBe(2)
    await gc.drain()
    expect(gc.pending).toBe(0)
    await expect(Promise.all(accepted)).resolves.toEqual([10, 20])
  })
})

describe('GroupCommit hold', () => {
  it('waits for expected items (up to maxHoldMs) so they share a commit', async () => {
    const r = recorder()
    let expected = 3
    const gc = new GroupCommit({
      commit: r.commit,
      maxBatch: 100,
      concurrency: 1,
      maxQueued: 100,
      holdWhile: () => expected > 0,
      maxHoldMs: 1000,
    })
    const results: Promise<number>[] = []
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5))
      expected--
      results.push(gc.submit(i))
    }
    gc.poke()
    await Promise.all(results)
    expect(r.batches.map((b) => b.length)).toEqual([3])
  })

  it('commits after maxHoldMs even while more are expected', async () => {
    const r = recorder()
    const gc = new GroupCommit({
      commit: r.commit,
      maxBatch: 100,
      concurrency: 1,
      maxQueued: 100,
      holdWhile: () => true,
      maxHoldMs: 20,
    })
    const started = performance.now()
    await gc.submit(1)
    const waited = performance.now() - started
    expect(waited).toBeGreaterThanOrEqual(15)
    expect(waited).toBeLessThan(500)
  })

  it('does not hold a lone item when nothing else is expected', async () => {
    const r = recorder()
    const gc = new GroupCommit({
      commit: r.commit,
      maxBatch: 100,
      concurrency: 1,
      maxQueued: 100,
      holdWhile: () => false,
      maxHoldMs: 1000,
    })
    const started = performance.now()
    await gc.submit(1)
    expect(performance.now() - started).toBeLessThan(100)
  })
})
