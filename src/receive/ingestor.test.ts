import { afterEach, describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../../test/support/databases.js'
import { sampleEvent } from '../../test/support/sample-event.js'
import { loadConfig } from '../config/index.js'
import { createLogger } from '../observe/logger.js'
import { createMetrics } from '../observe/metrics.js'
import { createSqliteStore } from '../store/sqlite/sqlite-store.js'
import type { Store } from '../store/types.js'
import { createIngestor, type Ingestor } from './ingestor.js'

/** 'settled' if `promise` settles within `ms`, else 'pending'. */
async function settledWithin(promise: Promise<unknown>, ms: number): Promise<'settled' | 'pending'> {
  let timer: NodeJS.Timeout | undefined
  const result = await Promise.race([
    promise.then(() => 'settled' as const),
    new Promise<'pending'>((resolve) => {
      timer = setTimeout(() => resolve('pending'), ms)
    }),
  ])
  clearTimeout(timer)
  return result
}

describe('ingestor commit hold (INGEST_COMMIT_HOLD)', () => {
  let file: ReturnType<typeof freshSqliteFile> | undefined
  let store: Store | undefined
  let ingestor: Ingestor | undefined

  afterEach(async () => {
    await ingestor?.close()
    await store?.close()
    file?.remove()
    file = store = ingestor = undefined
  })

  /** A real SQLite store whose insertEvents also records each transaction's size. */
  async function open(maxHoldMs: number) {
    file = freshSqliteFile()
    store = createSqliteStore({ path: file.path, checkpoints: 'writer' })
    await store.migrate()
    const batches: number[] = []
    const insertEvents = store.insertEvents.bind(store)
    store.insertEvents = (events) => {
      batches.push(events.length)
      return insertEvents(events)
    }
    ingestor = createIngestor({
      store,
      metrics: createMetrics(),
      logger: createLogger({ level: 'silent' }),
      maxHoldMs,
    })
    return { store, ingestor, batches }
  }

  const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

  it('with no hold (the default) commits on the next turn, without waiting for requests still verifying', async () => {
    const { store, ingestor, batches } = await open(loadConfig({ env: {} }).INGEST_COMMIT_HOLD)
    const stillVerifying = ingestor.expect()
    const first = ingestor.submit(sampleEvent())
    await nextTurn()
    await nextTurn()
    const second = ingestor.submit(sampleEvent())
    stillVerifying()
    expect(await Promise.all([first, second])).toMatchObject([{ status: 'accepted' }, { status: 'accepted' }])
    // Two transactions: the first did not wait for the request that was still verifying.
    expect(batches).toEqual([1, 1])
    expect((await store.listEvents({}, { limit: 10 })).items).toHaveLength(2)
  })

  it('with a hold, waits for requests still verifying so they share the commit', async () => {
    const { store, ingestor, batches } = await open(10_000)
    const stillVerifying = ingestor.expect()
    const first = ingestor.submit(sampleEvent())
    expect(await settledWithin(first, 200)).toBe('pending')
    expect((await store.listEvents({}, { limit: 10 })).items).toHaveLength(0)
    // The expected request arrives: both commit together, at once, long before the hold runs out.
    const second = ingestor.submit(sampleEvent())
    stillVerifying()
    expect(await settledWithin(Promise.all([first, second]), 1000)).toBe('settled')
    expect(batches).toEqual([2])
    expect((await store.listEvents({}, { limit: 10 })).items).toHaveLength(2)
  })
})
