import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import Database from 'better-sqlite3'
import { decodeCursor, encodeCursor } from '../cursor.js'
import { loadMigrations, planMigrations } from '../migrations.js'
import type {
  EventFilter,
  EventSummary,
  InsertOutcome,
  MigrationReport,
  NewEvent,
  Page,
  PageRequest,
  Store,
  StoredEvent,
} from '../types.js'

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
}

const MIGRATIONS = new URL('./migrations/', import.meta.url)

/** Errors that concern one row rather than the database; the rest mean "storage unavailable". */
const ROW_ERRORS = new Set(['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_TOOBIG', 'SQLITE_RANGE'])

const SUMMARY_COLUMNS = `seq, id, source, dedupe_key, webhook_id, received_at, content_type, body_bytes,
  content_hash, verification, ghl_type, location_id, company_id, sent_at, flags, event_hint, status,
  duplicate_count, last_duplicate_at`

type Row = Record<string, unknown>

export function createSqliteStore(options: SqliteStoreOptions): Store {
  if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true })
  const db = new Database(options.path)
  db.pragma('journal_mode = WAL')
  db.pragma(`synchronous = ${options.durability === 'fsync' ? 'FULL' : 'NORMAL'}`)
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`)
  db.pragma('foreign_keys = ON')

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
    const insert =
      db.prepare(`INSERT INTO events (id, source, dedupe_key, webhook_id, received_at, content_type,
        headers, raw_body, body_bytes, content_hash, verified, verification, ghl_type, location_id, company_id,
        sent_at, flags, event_hint)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (source, dedupe_key) DO UPDATE
        SET duplicate_count = duplicate_count + 1, last_duplicate_at = excluded.received_at
      RETURNING id`)
    const insertBatch = db.transaction((events: readonly NewEvent[]): InsertOutcome[] =>
      events.map((e) => {
        const row = insert.get(
          e.id,
          e.source,
          e.dedupeKey,
          e.webhookId,
          e.receivedAt,
          e.contentType,
          JSON.stringify(e.headers),
          e.rawBody,
          e.rawBody.length,
          e.contentHash,
          e.verification.verified ? 1 : 0,
          JSON.stringify(e.verification),
          e.ghlType,
          e.locationId,
          e.companyId,
          e.sentAt,
          e.flags.length ? JSON.stringify(e.flags) : null,
          e.eventHint,
        ) as { id: string }
        return { status: row.id === e.id ? 'accepted' : 'duplicate', eventId: row.id }
      }),
    )
    return {
      insertBatch,
      getEvent: db.prepare(`SELECT ${SUMMARY_COLUMNS}, headers, raw_body FROM events WHERE id = ?`),
      countBacklog: db.prepare(`SELECT count(*) AS n FROM events WHERE status = 'received'`).pluck(),
    }
  }
  const stmts = () => {
    statements ??= prepare()
    return statements
  }

  return {
    kind: 'sqlite',
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
          applied.push(`${String(migration.version).padStart(4, '0')}_${migration.name}`)
        }
        return { current: rows.length + plan.pending.length, unknown: plan.unknown }
      })
      // IMMEDIATE takes the write lock up front, so two processes starting together cannot both
      // decide the same migration is pending.
      const result = run.immediate()
      statements = undefined
      return { applied, ...result }
    },

    async insertEvents(events) {
      if (events.length === 0) return []
      return stmts().insertBatch.immediate(events)
    },

    async getEvent(id) {
      const row = stmts().getEvent.get(id) as Row | undefined
      return row ? toStoredEvent(row) : undefined
    },

    async listEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventSummary>> {
      const where: string[] = []
      const params: unknown[] = []
      const add = (clause: string, value: unknown) => {
        where.push(clause)
        params.push(value)
      }
      if (filter.source !== undefined) add('source = ?', filter.source)
      if (filter.ghlType !== undefined) add('ghl_type = ?', filter.ghlType)
      if (filter.locationId !== undefined) add('location_id = ?', filter.locationId)
      if (filter.companyId !== undefined) add('company_id = ?', filter.companyId)
      if (filter.webhookId !== undefined) add('webhook_id = ?', filter.webhookId)
      if (filter.status !== undefined) add('status = ?', filter.status)
      if (filter.since !== undefined) add('received_at >= ?', filter.since)
      if (filter.until !== undefined) add('received_at < ?', filter.until)
      const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
      if (before !== undefined) add('seq < ?', before)
      const sql = `SELECT ${SUMMARY_COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY seq DESC LIMIT ?`
      const rows = db.prepare(sql).all(...params, page.limit + 1) as Row[]
      const items = rows.slice(0, page.limit).map(toSummary)
      const last = items.at(-1)
      return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last.seq) : null }
    },

    async countBacklog() {
      return stmts().countBacklog.get() as number
    },

    async ping() {
      db.prepare('SELECT 1').get()
    },

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
      try {
        // Fold the WAL back into the main file so a copied .db file is complete on its own.
        db.pragma('wal_checkpoint(TRUNCATE)')
      } catch {
        // A full or read-only disk can refuse the checkpoint; closing must still succeed.
      }
      db.close()
    },
  }
}

function toSummary(row: Row): EventSummary {
  return {
    seq: row.seq as number,
    id: row.id as string,
    source: row.source as string,
    dedupeKey: row.dedupe_key as string,
    webhookId: row.webhook_id as string | null,
    receivedAt: row.received_at as number,
    contentType: row.content_type as string,
    bodyBytes: row.body_bytes as number,
    contentHash: row.content_hash as string,
    verification: JSON.parse(row.verification as string),
    ghlType: row.ghl_type as string | null,
    locationId: row.location_id as string | null,
    companyId: row.company_id as string | null,
    sentAt: row.sent_at as string | null,
    flags: row.flags ? JSON.parse(row.flags as string) : [],
    eventHint: row.event_hint as string | null,
    status: row.status as StoredEvent['status'],
    duplicateCount: row.duplicate_count as number,
    lastDuplicateAt: row.last_duplicate_at as number | null,
  }
}

function toStoredEvent(row: Row): StoredEvent {
  return { ...toSummary(row), headers: JSON.parse(row.headers as string), rawBody: row.raw_body as Buffer }
}
