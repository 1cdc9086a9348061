import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { loadConfig } from '../config/index.js'
import { newId } from '../ids.js'
import { createLogger } from '../observe/logger.js'
import { createMetrics } from '../observe/metrics.js'
import { createSqliteStore } from '../store/sqlite/sqlite-store.js'
import type { NewEvent, Store } from '../store/types.js'
import { createIngestor, type Ingestor } from './ingestor.js'

function event(n: number): NewEvent {
  const raw = Buffer.from(JSON.stringify({ type: 'ContactCreate', webhookId: `wh-${n}` }))
  return {
    id: newId('evt'),
    source: 'ghl',
    dedupeKey: `wh-${n}`,
    webhookId: `wh-${n}`,
    receivedAt: Date.now(),
    contentType: 'application/json',
    headers: {},
    rawBody: raw,
    contentHash: 'sha256:test',
    verification: { scheme: 'ghl-ed25519', verified: true },
    flags: [],
    eventHint: null,
    ghlType: 'ContactCreate',
    eventName: 'ContactCreate',
    eventType: 'contact.created',
    entityKind: 'contact',
    entityId: null,
    locationId: null,
    companyId: null,
    sentAt: null,
    occurredAt: null,
    bodyFormat: 'flat',
    schemaStatus: 'valid',
    classification: null,
    deliveries: [],
  }
}

/** Resolves to how long `promise` took, or 'pending' if it had not settled after `ms`. */
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
  let dir: string | undefined
  let store: Store | undefined
  let ingestor: Ingestor | undefined

  afterEach(async () => {
    await ingestor?.close()
    await store?.close()
    if (dir) rmSync(dir, { recursive: true, force: true })
    dir = store = ingestor = undefined
  })

  /** A real SQLite store whose insertEvents also records each transaction's size. */
  async function open(maxHoldMs: number) {
    dir = mkdtempSync(join(tmpdir(), 'ghl-gateway-ingestor-'))
    store = createSqliteStore({ path: join(dir, 'gw.db'), checkpoints: 'writer' })
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
    const first = ingestor.submit(event(1))
    await nextTurn()
    await nextTurn()
    const second = ingestor.submit(event(2))
    stillVerifying()
    expect(await Promise.all([first, second])).toMatchObject([{ status: 'accepted' }, { status: 'accepted' }])
    // Two transactions: the first did not wait for the request that was still verifying.
    expect(batches).toEqual([1, 1])
    expect((await store.listEvents({}, { limit: 10 })).items).toHaveLength(2)
  })

  it('with a hold, waits for requests still verifying so they share the commit', async () => {
    const { store, ingestor, batches } = await open(10_000)
    const stillVerifying = ingestor.expect()
    const first = ingestor.submit(event(1))
    expect(await settledWithin(first, 200)).toBe('pending')
    expect((await store.listEvents({}, { limit: 10 })).items).toHaveLength(0)
    // The expected request arrives: both commit together, at once, long before the hold runs out.
    const second = ingestor.submit(event(2))
    stillVerifying()
    expect(await settledWithin(Promise.all([first, second]), 1000)).toBe('settled')
    expect(batches).toEqual([2])
    expect((await store.listEvents({}, { limit: 10 })).items).toHaveLength(2)
  })
})
