import { describe, expect, it } from 'vitest'
import { sampleEvent } from '../../test/support/sample-event.js'
import { STORE_HARNESSES, storePerTest } from '../../test/support/store-harness.js'
import { newId } from '../ids.js'
import type { DlqFilter, DlqJobAction, NewDelivery, Store } from './types.js'

/**
 * Bulk dead-letter jobs through the Store interface alone, on each store: the bounded count, the
 * groups by error fingerprint, batches that move a cursor, cancel, a lease taken over after it ran
 * out, and a job resumed by another process replaying nothing twice. Fixed clocks: offsets from T.
 */

const T = 1_700_000_000_000
const BATCH = { leaseMs: 1000, window: 10 }

describe.each(STORE_HARNESSES)('Bulk dead-letter jobs: %s', (_name, makeHarness) => {
  const harness = makeHarness()
  let store: Store
  const { keep } = storePerTest(harness, (fresh) => {
    store = fresh
  })

  /** `count` deliveries of `subscriberId`, each on its own event, dead at `at` with `error(i)`. */
  const dead = async (subscriberId: string, count: number, error: (i: number) => string, at = T) => {
    const planned: NewDelivery[] = Array.from({ length: count }, () => ({
      id: newId('dlv'),
      subscriberId,
      orderingKey: null,
      runAt: at - 100,
    }))
    await store.insertEvents(planned.map((d) => sampleEvent({ receivedAt: at - 100, deliveries: [d] })))
    const claimed = await store.claimDeliveries({
      worker: 'w',
      now: at - 50,
      leaseMs: 60_000,
      slots: [{ subscriberId, limit: count }],
    })
    expect(claimed).toHaveLength(count)
    const byId = new Map(planned.map((d, i) => [d.id, i]))
    await store.finishAttempts(
      claimed.map((d) => ({
        deliveryId: d.id,
        worker: 'w',
        attempt: {
          id: newId('att'),
          number: 1,
          cycle: 0,
          startedAt: at - 50,
          durationMs: 1,
          errorClass: 'Error',
          errorMessage: 'x',
          errorStack: null,
          response: null,
        },
        next: { state: 'dead', error: error(byId.get(d.id)!) },
      })),
      at,
    )
    return planned.map((d) => d.id)
  }
  const job = (action: DlqJobAction, filter: DlqFilter, now = T + 1000) =>
    store.createDlqJob({ id: newId('job'), action, filter, total: 0, totalCapped: false, now })
  /** Runs batches as `owner` until the job leaves `running`; returns the outcomes. */
  const runToEnd = async (id: string, owner = 'r1', now = T + 2000, on = store) => {
    const outcomes: string[] = []
    for (let i = 0; i < 100; i++) {
      const outcome = await on.runDlqJobBatch(id, owner, now, BATCH)
      outcomes.push(`${outcome.status}:${outcome.changed}`)
      if (outcome.status !== 'progress') return outcomes
    }
    throw new Error('the job never ended')
  }
  const cyclesOf = async (ids: string[]) =>
    Promise.all(ids.map(async (id) => (await store.getDelivery(id))!.cycle))

  it('counts dead deliveries up to a cap and says when it stopped there', async () => {
    await dead('audit', 12, (i) => `timeout after ${5000 + i} ms`)
    await dead('crm', 3, () => 'HTTP 500')
    expect(await store.countDead({}, 100)).toEqual({ count: 15, capped: false })
    expect(await store.countDead({}, 10)).toEqual({ count: 10, capped: true })
    expect(await store.countDead({ subscriberId: 'crm' }, 3)).toEqual({ count: 3, capped: false })
    expect(await store.countDead({ fingerprint: 'timeout after # ms' }, 100)).toEqual({
      count: 12,
      capped: false,
    })
  })

  it('groups the newest dead deliveries by subscriber and error fingerprint, largest first, bounded by the scan', async () => {
    await dead('audit', 5, (i) => `timeout after ${5000 + i} ms`, T)
    const crm = await dead('crm', 2, () => 'HTTP 500', T + 10)
    const { groups, scanned } = await store.deadGroups({}, 100)
    expect(scanned).toBe(7)
    expect(groups.map((g) => [g.subscriberId, g.fingerprint, g.count])).toEqual([
      ['audit', 'timeout after # ms', 5],
      ['crm', 'HTTP 500', 2],
    ])
    expect(groups[1]).toMatchObject({ firstDeadAt: T + 10, lastDeadAt: T + 10, sampleError: 'HTTP 500' })
    expect(crm).toContain(groups[1]!.sampleDeliveryId)
    // The scan takes the newest first: 3 rows are the two crm ones and one audit.
    const newest = await store.deadGroups({}, 3)
    expect(newest.scanned).toBe(3)
    expect(newest.groups.map((g) => [g.subscriberId, g.count])).toEqual([
      ['crm', 2],
      ['audit', 1],
    ])
  })

  it('replays every matching dead delivery once, in batches that move the cursor, then succeeds', async () => {
    const audit = await dead('audit', 25, (i) => `timeout after ${i} ms`)
    const other = await dead('crm', 4, () => 'HTTP 500')
    const created = await job('replay', { subscriberId: 'audit' })
    expect(created).toMatchObject({ state: 'queued', done: 0, cursor: 0, deadBefore: T + 1001 })
    expect(await store.claimDlqJob('r1', T + 2000, 1000)).toBe(created.id)
    // 29 dead deliveries in windows of 10: 10 + 10 + 5 audit ones (the crm ones are in the last windows).
    expect(await runToEnd(created.id)).toEqual(['progress:10', 'progress:10', 'progress:5', 'succeeded:0'])
    const finished = (await store.getDlqJob(created.id))!
    expect(finished).toMatchObject({ state: 'succeeded', done: 25, leaseOwner: null, finishedAt: T + 2000 })
    expect(await cyclesOf(audit)).toEqual(audit.map(() => 1))
    expect((await store.getDelivery(audit[0]!))!.state).toBe('pending')
    expect(await cyclesOf(other)).toEqual(other.map(() => 0))
  })

  it('purges with the purge operation: matching dead deliveries become discarded', async () => {
    const audit = await dead('audit', 3, () => 'boom')
    const created = await job('purge', { fingerprint: 'boom' })
    await store.claimDlqJob('r1', T + 2000, 1000)
    expect(await runToEnd(created.id)).toEqual(['progress:3', 'succeeded:0'])
    for (const id of audit) expect((await store.getDelivery(id))!.state).toBe('discarded')
  })

  it('leaves out deliveries that died after the job was created', async () => {
    const before = await dead('audit', 2, () => 'boom', T)
    const created = await job('replay', {}, T + 1000)
    const after = await dead('audit', 2, () => 'boom', T + 1500)
    await store.claimDlqJob('r1', T + 2000, 1000)
    await runToEnd(created.id)
    expect(await cyclesOf(before)).toEqual([1, 1])
    expect(await cyclesOf(after)).toEqual([0, 0])
  })

  it('cancels a queued or running job (its next batch does nothing); a finished one answers not cancelled', async () => {
    await dead('audit', 15, () => 'boom')
    const queued = await job('replay', {})
    expect(await store.cancelDlqJob(queued.id, T + 1500)).toMatchObject({
      cancelled: true,
      job: { state: 'cancelled', finishedAt: T + 1500 },
    })
    const running = await job('replay', {})
    expect(await store.claimDlqJob('r1', T + 2000, 1000)).toBe(running.id)
    expect(await store.runDlqJobBatch(running.id, 'r1', T + 2000, BATCH)).toEqual({
      status: 'progress',
      changed: 10,
    })
    expect((await store.cancelDlqJob(running.id, T + 2100)).cancelled).toBe(true)
    expect(await store.runDlqJobBatch(running.id, 'r1', T + 2200, BATCH)).toEqual({
      status: 'lost',
      changed: 0,
    })
    expect(await store.getDlqJob(running.id)).toMatchObject({ state: 'cancelled', done: 10 })
    expect(await store.cancelDlqJob(running.id, T + 2300)).toMatchObject({
      cancelled: false,
      job: { state: 'cancelled' },
    })
    expect(await store.cancelDlqJob('job_unknown', T)).toEqual({ cancelled: false, job: undefined })
    expect(await store.claimDlqJob('r1', T + 9000, 1000)).toBeUndefined()
  })

  it('lets another runner take a job over only after its lease ran out; the old holder then stops', async () => {
    await dead('audit', 15, () => 'boom')
    const created = await job('replay', {})
    expect(await store.claimDlqJob('r1', T + 2000, 1000)).toBe(created.id)
    expect(await store.claimDlqJob('r2', T + 2500, 1000)).toBeUndefined()
    // A batch renews the lease: to T + 2900 + 1000.
    await store.runDlqJobBatch(created.id, 'r1', T + 2900, BATCH)
    expect(await store.claimDlqJob('r2', T + 3500, 1000)).toBeUndefined()
    expect(await store.claimDlqJob('r2', T + 3900, 1000)).toBe(created.id)
    expect(await store.runDlqJobBatch(created.id, 'r1', T + 3950, BATCH)).toEqual({
      status: 'lost',
      changed: 0,
    })
    expect(await runToEnd(created.id, 'r2', T + 4000)).toEqual(['progress:5', 'succeeded:0'])
    expect(await store.getDlqJob(created.id)).toMatchObject({ state: 'succeeded', done: 15 })
  })

  it('resumes a job another process left mid-way (its store closed) and replays every delivery exactly once', async () => {
    const ids = await dead('audit', 35, () => 'boom')
    const created = await job('replay', {})
    const crashed = keep(harness.openSibling())
    expect(await crashed.claimDlqJob('gone', T + 2000, 1000)).toBe(created.id)
    expect(await crashed.runDlqJobBatch(created.id, 'gone', T + 2000, BATCH)).toEqual({
      status: 'progress',
      changed: 10,
    })
    expect(await crashed.runDlqJobBatch(created.id, 'gone', T + 2010, BATCH)).toEqual({
      status: 'progress',
      changed: 10,
    })
    await crashed.close()
    // A replayed delivery that dies again while the job is away must not be swept in on resume.
    const [first] = ids
    await store.claimDeliveries({
      worker: 'w',
      now: T + 2500,
      leaseMs: 100,
      slots: [{ subscriberId: 'audit', limit: 1 }],
    })
    expect((await store.getDelivery(first!))!.state).toBe('leased')
    const resumed = await store.claimDlqJob('r2', T + 3500, 1000)
    expect(resumed).toBe(created.id)
    expect(await runToEnd(created.id, 'r2', T + 3500)).toEqual(['progress:10', 'progress:5', 'succeeded:0'])
    expect(await store.getDlqJob(created.id)).toMatchObject({ state: 'succeeded', done: 35 })
    expect(await cyclesOf(ids)).toEqual(ids.map(() => 1))
  })

  it('fails a running job held by its owner, with the error', async () => {
    const created = await job('replay', {})
    await store.claimDlqJob('r1', T + 2000, 1000)
    expect(await store.failDlqJob(created.id, 'r2', 'not mine', T + 2100)).toBe(false)
    expect(await store.failDlqJob(created.id, 'r1', 'disk on fire', T + 2100)).toBe(true)
    expect(await store.getDlqJob(created.id)).toMatchObject({ state: 'failed', error: 'disk on fire' })
    expect((await store.listDlqJobs(5)).map((j) => j.id)).toEqual([created.id])
  })
})
