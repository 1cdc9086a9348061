import { copyFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { freshSqliteFile } from '../../../test/support/databases.js'
import { startCheckpointer } from './checkpointer.js'
import { createSqliteStore } from './sqlite-store.js'

describe('background WAL checkpoints', () => {
  it('moves committed pages into the database file without the writer checkpointing', async () => {
    const file = freshSqliteFile()
    const store = createSqliteStore({ path: file.path })
    try {
      await store.migrate()
      await store.heartbeat({ id: 'a', version: '1', startedAt: 1 })
      // The database file alone (no -wal) holds the row once the thread has checkpointed.
      let rows = 0
      for (let i = 0; i < 40 && rows === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100))
        const copy = join(file.dir, `copy-${i}.db`)
        copyFileSync(file.path, copy)
        const alone = new Database(copy, { readonly: true })
        try {
          rows = (alone.prepare('SELECT count(*) AS n FROM gateway_instances').get() as { n: number }).n
        } catch {
          rows = 0 // not even the schema is in the file yet
        }
        alone.close()
      }
      expect(rows).toBe(1)
    } finally {
      await store.close()
      file.remove()
    }
  })

  it('reports a thread that cannot start, so the writer checkpoints again', async () => {
    const stopped = await new Promise<string>((resolve) => {
      startCheckpointer({ path: '/nonexistent/dir/x.db', driver: 'better-sqlite3', onStop: resolve })
    })
    expect(stopped).toMatch(/unable to open|exited|directory does not exist|SqliteError|Cannot find/i)
  })
})
