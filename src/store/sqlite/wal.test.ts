import { randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../../../test/support/databases.js'
import { newId } from '../../ids.js'
import type { NewEvent } from '../types.js'
import { createSqliteStore } from './sqlite-store.js'

/**
 * Under steady writes the WAL must start over after checkpoints instead of growing: a WAL that
 * only grows eats the disk (the reliability suite saw 538 MB for a 16 MB database when
 * checkpoints ran on another thread).
 */
describe('SQLite WAL under steady writes', () => {
  it('stays bounded while ~60 MB of events are written in small commits', async () => {
    const file = freshSqliteFile()
    const store = createSqliteStore({ path: file.path })
    try {
      await store.migrate()
      const body = Buffer.alloc(2000, 'x')
      const event = (): NewEvent => ({
        id: newId('evt'),
        source: 'ghl',
        dedupeKey: randomUUID(),
        webhookId: null,
        receivedAt: Date.now(),
        contentType: 'application/json',
        headers: {},
        rawBody: body,
        contentHash: 'sha256:x',
        verification: { scheme: 'none', verified: false },
        flags: [],
        eventHint: null,
        deliveries: [],
        ghlType: null,
        eventName: null,
        eventType: null,
        entityKind: null,
        entityId: null,
        locationId: null,
        companyId: null,
        sentAt: null,
        occurredAt: null,
        bodyFormat: 'flat',
        schemaStatus: null,
        classification: null,
      })
      let largestWal = 0
      for (let i = 0; i < 3000; i++) {
        await store.insertEvents([
          event(),
          event(),
          event(),
          event(),
          event(),
          event(),
          event(),
          event(),
          event(),
          event(),
        ])
        if (i % 100 === 0) largestWal = Math.max(largestWal, statSync(`${file.path}-wal`).size)
      }
      const database = statSync(file.path).size
      // 30,000 × 2 kB ≈ 60 MB written; checkpoints every 4,000 pages keep the WAL near 16 MB.
      expect(database).toBeGreaterThan(50 * 1024 * 1024)
      expect(largestWal).toBeLessThan(32 * 1024 * 1024)
    } finally {
      await store.close()
      file.remove()
    }
  }, 60_000)
})
