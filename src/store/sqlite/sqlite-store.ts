import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { EVENT_COLUMNS, INSERT_COLUMNS, rowToEvent } from '../event-columns.js'
import { loadMigrations, migrationLabel, planMigrations, statusOf } from '../migrations.js'
import { sqliteDialect } from '../sql/dialect.js'
import { sharedDestinations } from '../sql/shared-destinations.js'
import { sharedDlqJobs } from '../sql/shared-dlq-jobs.js'
import { sharedEvents } from '../sql/shared-events.js'
import { sharedGhlTokens } from '../sql/shared-ghl-tokens.js'
import { sharedInstallations } from '../sql/shared-installations.js'
import { sharedLocations } from '../sql/shared-locations.js'
import type { InsertOutcome, MigrationReport, NewEvent, Store } from '../types.js'
import { Checkpointer, WAL_CAP_BYTES } from './checkpointer.js'
import { sqliteGhlRateWindows } from './ghl-rate-windows.js'
import { sqliteRunDlqJobBatch } from './run-dlq-job-batch.js'
import { sqliteDeliveries } from './sqlite-deliveries.js'
import { sqliteDestinations } from './sqlite-destinations.js'
import { sqliteRateBuckets } from './sqlite-rate-buckets.js'
import { sqliteRunner } from './sqlite-runner.js'
import { writeGate } from './write-gate.js'

export interface SqliteStoreOptions {
  /** Database file; its directory is created if missing. */
  path: string
  /**
   * `process` (default): WAL with `synchronous=NORMAL`. A commit is in the WAL file (the OS page
   * cache) before we ack, so a crash of the gateway process loses nothing; a power loss or kernel
   * crash can lose the transactions since the last checkpoint.
   * `fsync`: `synchronous=FULL`, the WAL is fsynced at every commit, so a power loss loses nothing
   * acked. Group commit amortises the fsync over every request in the batch.
   */
  durability?: 'process' | 'fsync'
  /** How long a write waits for another process holding the write lock. @default 5000 */
  busyTimeoutMs?: number
  /**
   * Where WAL checkpoints run: `thread` (default for files) on a worker thread with its own
   * connection (see checkpointer.ts); `writer`: SQLite's automatic checkpoint, on the thread that
   * commits (the event loop). `writer` is the fallback when the thread fails, and the baseline the
   * store-insert benchmark measures against.
   */
  checkpoints?: 'thread' | 'writer'
  /**
   * With checkpoints on the thread: the WAL size past which writes wait for a running checkpoint
   * (the hard cap, see checkpointer.ts); also where SQLite cuts the WAL file back when it starts
   * over. The store-insert benchmark compares it with none (Infinity).
   * @default WAL_CAP_BYTES (32 MB, twice the point where the WAL starts over)
   */
  walCapBytes?: number
}

const checkpointers = new WeakMap<Store, Checkpointer>()

/** The checkpoint thread of a SQLite store (none for `:memory:` or `checkpoints: 'writer'`). */
export function sqliteCheckpointer(store: Store): Checkpointer | undefined {
  return checkpointers.get(store)
}

const MIGRATIONS = new URL('./migrations/', import.meta.url)

/** Errors that concern one row rather than the database; the rest mean "storage unavailable". */
const ROW_ERRORS = new Set(['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_RANGE'])

type Row = Record<string, unknown>

/** Driver encoding per column kind: JSON as text, booleans as 0/1, times as epoch ms. */
function encode(kind: (typeof INSERT_COLUMNS)[number]['kind'], value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (kind === 'json') return JSON.stringify(value)
  if (kind === 'bool') return value ? 1 : 0
  return value
}

export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.durability === 'fsync' ? 'FULL' : 'NORMAL'}`)
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
  db.pragma('foreign_keys = ON')
  // Checkpoints run on their own thread (checkpointer.ts) unless `checkpoints: 'writer'` or the
  // thread failed; then SQLite's automatic checkpoint runs on this connection right after a commit,
  // every 4,000 pages (16 MB) rather than SQLite's 1,000: fewer checkpoints and fsyncs, ~20 % less
  // CPU per insert (measured). Either way the WAL file is cut back to the cap (32 MB) when it starts
  // over: the checkpoint thread's hard cap reads the file's size, so the two must be the same.
  const walCapBytes = options.walCapBytes ?? WAL_CAP_BYTES
  db.pragma('wal_autocheckpoint = 4000')
  db.pragma(`journal_size_limit = ${Number.isFinite(walCapBytes) ? walCapBytes : -1}`)
  const checkpointer =
    options.path !== ':memory:' && (options.checkpoints ?? 'thread') === 'thread'
      ? new Checkpointer({
          path: options.path,
          synchronous: options.durability === 'fsync' ? 'FULL' : 'NORMAL',
          busyTimeoutMs: options.busyTimeoutMs ?? 5000,
          capBytes: walCapBytes,
          // Back to checkpoints on the writer: slower, never unsafe.
          onFailure: () => {
            if (db.open) db.pragma('wal_autocheckpoint = 4000')
          },
        })
      : undefined
  if (checkpointer) db.pragma('wal_autocheckpoint = 0')
  // Every method that writes is wrapped where it is defined (write-gate.ts).
  const write = writeGate(checkpointer)
  const runner = sqliteRunner(db, write)

  db.exec(`CREATE TABLE IF NOT EXISTS gateway_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT    NOT NULL,
    checksum   TEXT    NOT NULL,
    applied_at INTEGER NOT NULL
  )`)

  // Statements are prepared lazily: the tables they name exist only after migrate().
  let statements: ReturnType<typeof prepare> | undefined
  const prepare = () => {
    // On a duplicate the existing row is kept, its counter bumped, and RETURNING gives its id:
    // an id different from the one we generated means "duplicate".
    const insert = db.prepare(`INSERT INTO events (${INSERT_COLUMNS.map((c) => c.name).join(', ')})
      VALUES (${INSERT_COLUMNS.map(() => '?').join(', ')})
      ON CONFLICT (dedupe_key, source) DO UPDATE
        SET duplicate_count = duplicate_count + 1, last_duplicate_at = excluded.received_at
      RETURNING id, seq`)
    return {
      // The event and its deliveries commit together: an acked event always has its deliveries.
      insertBatch: db.transaction((events: readonly NewEvent[]): InsertOutcome[] =>
        events.map((e) => {
          const row = insert.get(INSERT_COLUMNS.map((c) => encode(c.kind, c.get(e)))) as {
            id: string
            seq: number
          }
          if (row.id !== e.id) return { status: 'duplicate', eventId: row.id }
          if (e.deliveries.length)
            deliveries.insertFor(e.id, row.seq, e.receivedAt, e.deliveries, e.receivedAt)
          return { status: 'accepted', eventId: row.id, seq: row.seq }
        }),
      ),
      getEvent: db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`),
      heartbeat: db.prepare(`INSERT INTO gateway_instances (instance_id, version, started_at, last_seen_at)
        VALUES (?, ?, ?, ?)
        ON CONFLICT (instance_id) DO UPDATE SET last_seen_at = excluded.last_seen_at`),
    }
  }
  const stmts = () => {
    statements ??= prepare()
    return statements
  }
  const getEvent = (id: string) => {
    const row = stmts().getEvent.get(id) as Row | undefined
    return row ? rowToEvent(row, sqliteDialect.decode) : undefined
  }
  const deliveries = sqliteDeliveries(db, runner, getEvent)
  const destinations = sqliteDestinations(db, write)

  const store: Store = {
    traits: {
      name: 'sqlite',
      commitConcurrency: 1,
      exclusiveWrites: true,
      sharedRateLimits: false,
      crossProcessWakeups: false,
      checkpointStats: () => checkpointer?.stats,
    },
    location: `sqlite:${options.path}`,

    async migrate(): Promise<MigrationReport> {
      const known = loadMigrations(MIGRATIONS)
      const applied: string[] = []
      const run = db.transaction(() => {
        const rows = db.prepare('SELECT version, checksum FROM gateway_migrations').all() as {
          version: number
          checksum: string
        }[]
        const plan = planMigrations(known, rows)
        for (const migration of plan.pending) {
          db.exec(migration.sql)
          db.prepare(
            'INSERT INTO gateway_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, ?)',
          ).run(migration.version, migration.name, migration.checksum, Date.now())
          applied.push(migrationLabel(migration))
        }
        return { current: rows.length + plan.pending.length, unknown: plan.unknown }
      })
      // IMMEDIATE takes the write lock up front, so two processes starting together cannot both
      // decide the same migration is pending.
      const result = run.immediate()
      statements = undefined
      runner.reset()
      destinations.reset()
      return { applied, ...result }
    },

    async migrationStatus() {
      const rows = db.prepare('SELECT version, checksum FROM gateway_migrations').all() as {
        version: number
        checksum: string
      }[]
      return statusOf(loadMigrations(MIGRATIONS), rows)
    },

    // An insert writes each event's row and index entries: weighed by its events.
    insertEvents: write(
      async (events) => (events.length === 0 ? [] : stmts().insertBatch.immediate(events)),
      (events) => events.length,
    ),

    async getEvent(id) {
      return getEvent(id)
    },

    ...sharedEvents(runner),
    ...deliveries.methods,
    ...sqliteRateBuckets(db, write),
    ...sharedDestinations(runner),
    ...sharedLocations(runner),
    ...sharedGhlTokens(runner),
    ...sharedInstallations(runner),
    ...sqliteGhlRateWindows(db, write),
    ...destinations.methods,
    ...sharedDlqJobs(runner),
    runDlqJobBatch: sqliteRunDlqJobBatch(db, write),

    // One process owns a SQLite file in practice; others sharing it rely on the worker's poll.
    async announceWork() {},
    listenForWork() {
      return async () => {}
    },

    heartbeat: write(async (instance) => {
      stmts().heartbeat.run(instance.id, instance.version, instance.startedAt, Date.now())
    }),

    isUnavailableError(error: unknown) {
      const code = (error as { code?: unknown }).code
      if (typeof code === 'string' && code.startsWith('SQLITE_')) {
        return !ROW_ERRORS.has(code.replace(/^(SQLITE_[A-Z]+).*$/, '$1'))
      }
      // better-sqlite3 throws a TypeError once the connection is closed.
      return error instanceof TypeError && /database connection is not open/.test(error.message)
    },

    async close() {
      if (!db.open) return
      await checkpointer?.close()
      try {
        // Fold the WAL back into the main file so a copied .db file is complete on its own.
        db.pragma('wal_checkpoint(TRUNCATE)')
      } catch {
        // A full or read-only disk can refuse the checkpoint; closing must still succeed.
      }
      db.close()
    },
  }
  if (checkpointer) checkpointers.set(store, checkpointer)
  return store
}
