import { randomUUID } from 'node:crypto'
import { statSync } from 'node:fs'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../../../test/support/databases.js'
import { sampleEvent } from '../../../test/support/sample-event.js'
import { Checkpointer, type CheckpointWorkerData, startCheckpointWorker } from './checkpointer.js'
import { createSqliteStore, type SqliteStoreOptions, sqliteCheckpointer } from './sqlite-store.js'

/**
 * Under steady writes the WAL must start over after checkpoints instead of growing: a WAL that
 * only grows eats the disk (the reliability suite saw 538 MB for a 16 MB database when
 * checkpoints first ran on another thread, before the catch-up pause in checkpointer.ts).
 */
// Random dedupe keys and no tenant or entity: each event writes its row and the dedupe index.
const event = () =>
  sampleEvent({
    dedupeKey: randomUUID(),
    webhookId: null,
    rawBody: Buffer.alloc(2000, 'x'),
    entityId: null,
    locationId: null,
  })

/**
 * Writes ~120 MB in 6,000 commits of 10 events, one commit per event-loop turn as group commit
 * does; returns the largest WAL file seen and the database size. A WAL that never starts over
 * grows past the data written (each commit also rewrites index pages).
 */
async function steadyWrites(options: Omit<SqliteStoreOptions, 'path'>) {
  const file = freshSqliteFile()
  const store = createSqliteStore({ path: file.path, ...options })
  try {
    await store.migrate()
    let largestWal = 0
    for (let i = 0; i < 6000; i++) {
      await store.insertEvents(Array.from({ length: 10 }, event))
      await new Promise((resolve) => setImmediate(resolve))
      if (i % 50 === 0) largestWal = Math.max(largestWal, statSync(`${file.path}-wal`).size)
    }
    const stats = sqliteCheckpointer(store)?.stats
    return { largestWal, database: statSync(file.path).size, stats: stats && { ...stats } }
  } finally {
    await store.close()
    file.remove()
  }
}

const MB = 1024 * 1024

describe('SQLite WAL under steady writes', () => {
  it('stays bounded with checkpoints on their own thread (the default)', async () => {
    const { largestWal, database, stats } = await steadyWrites({})
    // 60,000 × 2 kB ≈ 120 MB written.
    expect(database).toBeGreaterThan(100 * MB)
    // The catch-up pauses start the WAL over once it passes 16 MB (4,096 pages); on a busy machine
    // the checkpoint thread lags a little, so it can end up somewhat larger — never unbounded.
    expect(largestWal).toBeLessThan(64 * MB)
    expect(stats?.checkpoints).toBeGreaterThan(0)
    expect(stats?.pauses).toBeGreaterThan(0)
    expect(stats?.failures).toBe(0)
  }, 60_000)

  it('stays bounded with checkpoints on the writer', async () => {
    const { largestWal, database, stats } = await steadyWrites({ checkpoints: 'writer' })
    expect(stats).toBeUndefined()
    expect(database).toBeGreaterThan(100 * MB)
    expect(largestWal).toBeLessThan(32 * MB)
  }, 60_000)

  it('falls back to checkpoints on the writer when the thread dies', async () => {
    let terminated = false
    const file = freshSqliteFile()
    const store = createSqliteStore({ path: file.path })
    try {
      await store.migrate()
      let largestWal = 0
      for (let i = 0; i < 3000; i++) {
        await store.insertEvents(Array.from({ length: 10 }, event))
        if (i === 10) {
          await sqliteCheckpointer(store)!.terminate()
          terminated = true
        }
        await new Promise((resolve) => setImmediate(resolve))
        if (i % 50 === 0) largestWal = Math.max(largestWal, statSync(`${file.path}-wal`).size)
      }
      expect(terminated).toBe(true)
      expect(sqliteCheckpointer(store)!.stats.checkpoints).toBeLessThan(5)
      expect(largestWal).toBeLessThan(32 * MB)
    } finally {
      await store.close()
      file.remove()
    }
  }, 60_000)

  it('does not keep writes paused while another connection pins the WAL, and restarts it after', async () => {
    const file = freshSqliteFile()
    const store = createSqliteStore({ path: file.path })
    const reader = new Database(file.path)
    try {
      await store.migrate()
      const checkpointer = sqliteCheckpointer(store)!
      // A long read transaction elsewhere: no checkpoint can let the WAL start over under it.
      reader.exec('BEGIN')
      reader.prepare('SELECT count(*) FROM events').get()
      const pinnedUntil = performance.now() + 1500
      while (performance.now() < pinnedUntil) {
        await store.insertEvents(Array.from({ length: 10 }, event))
        await new Promise((resolve) => setImmediate(resolve))
      }
      // One pause finds the WAL pinned; after that at most one try per second.
      expect(checkpointer.stats.pauses).toBeGreaterThan(0)
      expect(checkpointer.stats.pauses).toBeLessThanOrEqual(3)

      reader.exec('COMMIT')
      const pausesBefore = checkpointer.stats.pauses
      let smallestWalFrames = Number.POSITIVE_INFINITY
      const until = performance.now() + 3000
      while (performance.now() < until) {
        await store.insertEvents(Array.from({ length: 10 }, event))
        await new Promise((resolve) => setImmediate(resolve))
        smallestWalFrames = Math.min(smallestWalFrames, checkpointer.stats.walFrames)
      }
      // Released: pauses resume and the WAL starts over (small again).
      expect(checkpointer.stats.pauses).toBeGreaterThan(pausesBefore)
      expect(smallestWalFrames).toBeLessThan(4096)
    } finally {
      reader.close()
      await store.close()
      file.remove()
    }
  }, 60_000)

  /**
   * A starved checkpoint thread, made repeatable: every checkpoint reaches the thread 400 ms late.
   * The writer follows the store's discipline (wait for the gate, commit, note the write) on its own
   * connection, as fast as it can for `forMs` (or until the WAL passes 32 MB).
   */
  async function writesBesideALateThread(capBytes: number, forMs: number) {
    const file = freshSqliteFile()
    const db = new Database(file.path)
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('wal_autocheckpoint = 0')
    // As the store sets it: the cap reads the file's size, which SQLite cuts back to this.
    db.pragma(`journal_size_limit = ${Number.isFinite(capBytes) ? capBytes : -1}`)
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT UNIQUE, body BLOB)')
    const insert = db.prepare('INSERT INTO t (k, body) VALUES (?, ?)')
    const commit = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) insert.run(randomUUID(), Buffer.alloc(2000, 'x'))
    })
    const lateThread = (data: CheckpointWorkerData) => {
      const worker = startCheckpointWorker(data)
      const post = worker.postMessage.bind(worker)
      worker.postMessage = (message: { kind: string }) => {
        if (message.kind === 'checkpoint') setTimeout(() => post(message), 400)
        else post(message)
      }
      return worker
    }
    const checkpointer = new Checkpointer({
      path: file.path,
      synchronous: 'NORMAL',
      busyTimeoutMs: 5000,
      restartFrames: 1000,
      capBytes,
      startWorker: lateThread,
      onFailure: (error) => {
        throw error
      },
    })
    try {
      let largestWal = 0
      const until = performance.now() + forMs
      // Past 32 MB the point is made: stop rather than fill the disk.
      while (performance.now() < until && largestWal < 32 * MB) {
        while (checkpointer.gate) await checkpointer.gate
        commit(10)
        checkpointer.noteWrite(10)
        largestWal = Math.max(largestWal, statSync(`${file.path}-wal`).size)
        await new Promise((resolve) => setImmediate(resolve))
      }
      return { largestWal, stats: { ...checkpointer.stats } }
    } finally {
      await checkpointer.close()
      db.close()
      file.remove()
    }
  }

  it('holds the hard cap when checkpoints run late (a starved thread): writes wait for the running one', async () => {
    // Restart at 1,000 pages (~4 MB), cap at 8 MB.
    const capped = await writesBesideALateThread(8 * MB, 3000)
    const uncapped = await writesBesideALateThread(Number.POSITIVE_INFINITY, 1000)
    // Without the cap the WAL grows with what 400 ms of writes add, past the bound below…
    expect(uncapped.largestWal).toBeGreaterThan(10 * MB)
    expect(uncapped.stats.caps).toBe(0)
    // …with it, writes wait once it passes 8 MB (a look every 2 ms: the overshoot is a few commits).
    expect(capped.stats.caps).toBeGreaterThan(0)
    expect(capped.largestWal).toBeLessThan(10 * MB)
    expect(capped.stats.failures).toBe(0)
  }, 60_000)
})
