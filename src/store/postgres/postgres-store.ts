import pg from 'pg'
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

export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database` */
  url: string
  /** Connections per process. @default 10 */
  poolSize?: number
  /** How long a request waits for a connection before the store counts as unavailable. @default 5000 */
  connectTimeoutMs?: number
  /** Server-side limit for one statement. @default 15000 */
  statementTimeoutMs?: number
  /** Called for errors on idle connections (e.g. the server restarted); they are replaced, not fatal. */
  onPoolError?: (error: Error) => void
}

const MIGRATIONS = new URL('./migrations/', import.meta.url)
/** Any constant works; it only has to be the same in every gateway process. */
const MIGRATION_LOCK = 4_711_0001

/** SQLSTATE classes that concern the data of one statement (22 data, 23 integrity, 42 syntax/access). */
const ROW_ERROR_CLASSES = new Set(['22', '23', '42'])

const SUMMARY_COLUMNS = `seq, id, source, dedupe_key, webhook_id, received_at, content_type, body_bytes,
  content_hash, verification, ghl_type, location_id, company_id, sent_at, flags, event_hint, status,
  duplicate_count, last_duplicate_at`

/**
 * One statement inserts the whole batch: arrays in, `unnest` into rows. The statement text never
 * changes with the batch size, so PostgreSQL plans it once per connection.
 * On a conflict the existing row is kept, its duplicate counter bumped (by the number of copies in
 * the batch), and RETURNING gives the existing id: an id that is not ours means "duplicate".
 */
const INSERT_EVENTS = `INSERT INTO events (id, source, dedupe_key, webhook_id, received_at, content_type, headers,
    raw_body, body_bytes, content_hash, verified, verification, ghl_type, location_id, company_id, sent_at, flags,
    event_hint, duplicate_count)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::jsonb[],
    $8::bytea[], $9::int[], $10::text[], $11::bool[], $12::jsonb[], $13::text[], $14::text[], $15::text[],
    $16::text[], $17::jsonb[], $18::text[], $19::int[])
  ON CONFLICT (source, dedupe_key) DO UPDATE
    SET duplicate_count = events.duplicate_count + excluded.duplicate_count + 1,
        last_duplicate_at = excluded.received_at
  RETURNING id, source, dedupe_key`

type Row = Record<string, unknown>

const groupKey = (source: string, dedupeKey: string) => `${source}\u0000${dedupeKey}`

export function createPostgresStore(options: PostgresStoreOptions): Store {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: 60_000,
    keepAlive: true,
    application_name: 'ghl-gateway',
  })
  // Without a listener an error on an idle client (server restart) would crash the process.
  pool.on('error', (error) => options.onPoolError?.(error))

  return {
    kind: 'postgres',
    location: redactUrl(options.url),

    async migrate(): Promise<MigrationReport> {
      const known = loadMigrations(MIGRATIONS)
      const client = await pool.connect()
      try {
        // Replicas starting together queue here; the first applies, the others find nothing pending.
        await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK])
        await client.query(`CREATE TABLE IF NOT EXISTS gateway_migrations (
          version    integer PRIMARY KEY,
          name       text        NOT NULL,
          checksum   text        NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`)
        const { rows } = await client.query<{ version: number; checksum: string }>(
          'SELECT version, checksum FROM gateway_migrations',
        )
        const plan = planMigrations(known, rows)
        const applied: string[] = []
        for (const migration of plan.pending) {
          await client.query('BEGIN')
          try {
            await client.query(migration.sql)
            await client.query(
              'INSERT INTO gateway_migrations (version, name, checksum) VALUES ($1, $2, $3)',
              [migration.version, migration.name, migration.checksum],
            )
            await client.query('COMMIT')
          } catch (error) {
            await client.query('ROLLBACK')
            throw error
          }
          applied.push(`${String(migration.version).padStart(4, '0')}_${migration.name}`)
        }
        return { applied, current: rows.length + plan.pending.length, unknown: plan.unknown }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
        client.release()
      }
    },

    async insertEvents(events) {
      if (events.length === 0) return []
      // Copies of one key inside the batch are folded into their first occurrence: one row per key,
      // so ON CONFLICT never meets the same key twice in one statement.
      const groups = new Map<string, { event: NewEvent; extraCopies: number }>()
      for (const event of events) {
        const group = groups.get(groupKey(event.source, event.dedupeKey))
        if (group) group.extraCopies++
        else groups.set(groupKey(event.source, event.dedupeKey), { event, extraCopies: 0 })
      }
      const unique = [...groups.values()]
      const column = <T>(pick: (event: NewEvent) => T) => unique.map((group) => pick(group.event))
      const { rows } = await pool.query<{ id: string; source: string; dedupe_key: string }>({
        name: 'insert_events',
        text: INSERT_EVENTS,
        values: [
          column((e) => e.id),
          column((e) => e.source),
          column((e) => e.dedupeKey),
          column((e) => e.webhookId),
          column((e) => new Date(e.receivedAt).toISOString()),
          column((e) => e.contentType),
          column((e) => JSON.stringify(e.headers)),
          column((e) => e.rawBody),
          column((e) => e.rawBody.length),
          column((e) => e.contentHash),
          column((e) => e.verification.verified),
          column((e) => JSON.stringify(e.verification)),
          column((e) => e.ghlType),
          column((e) => e.locationId),
          column((e) => e.companyId),
          column((e) => e.sentAt),
          column((e) => (e.flags.length ? JSON.stringify(e.flags) : null)),
          column((e) => e.eventHint),
          unique.map((group) => group.extraCopies),
        ],
      })
      const stored = new Map(rows.map((row) => [groupKey(row.source, row.dedupe_key), row.id]))
      // Only a row we inserted carries our id; later copies in the batch were never inserted.
      return events.map((event): InsertOutcome => {
        const id = stored.get(groupKey(event.source, event.dedupeKey))
        if (id === undefined) throw new Error(`insert returned no row for ${event.id}`)
        return { status: id === event.id ? 'accepted' : 'duplicate', eventId: id }
      })
    },

    async getEvent(id) {
      const { rows } = await pool.query<Row>({
        name: 'get_event',
        text: `SELECT ${SUMMARY_COLUMNS}, headers, raw_body FROM events WHERE id = $1`,
        values: [id],
      })
      const row = rows[0]
      return row
        ? {
            ...toSummary(row),
            headers: row.headers as Record<string, string>,
            rawBody: row.raw_body as Buffer,
          }
        : undefined
    },

    async listEvents(filter: EventFilter, page: PageRequest): Promise<Page<EventSummary>> {
      const where: string[] = []
      const params: unknown[] = []
      const add = (clause: string, value: unknown) => {
        params.push(value)
        where.push(clause.replace('?', `$${params.length}`))
      }
      if (filter.source !== undefined) add('source = ?', filter.source)
      if (filter.ghlType !== undefined) add('ghl_type = ?', filter.ghlType)
      if (filter.locationId !== undefined) add('location_id = ?', filter.locationId)
      if (filter.companyId !== undefined) add('company_id = ?', filter.companyId)
      if (filter.webhookId !== undefined) add('webhook_id = ?', filter.webhookId)
      if (filter.status !== undefined) add('status = ?', filter.status)
      if (filter.since !== undefined) add('received_at >= ?', new Date(filter.since))
      if (filter.until !== undefined) add('received_at < ?', new Date(filter.until))
      const before = page.cursor === undefined ? undefined : decodeCursor(page.cursor)
      if (before !== undefined) add('seq < ?', before)
      params.push(page.limit + 1)
      const { rows } = await pool.query<Row>(
        `SELECT ${SUMMARY_COLUMNS} FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY seq DESC LIMIT $${params.length}`,
        params,
      )
      const items = rows.slice(0, page.limit).map(toSummary)
      const last = items.at(-1)
      return { items, nextCursor: rows.length > page.limit && last ? encodeCursor(last.seq) : null }
    },

    async countBacklog() {
      const { rows } = await pool.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM events WHERE status = 'received'`,
      )
      return rows[0]!.n
    },

    async ping() {
      await pool.query('SELECT 1')
    },

    isUnavailableError(error: unknown) {
      const code = (error as { code?: unknown }).code
      if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code))
        return !ROW_ERROR_CLASSES.has(code.slice(0, 2))
      // Connection refused/reset, pool timeouts, "Connection terminated": all mean the server is out of reach.
      return true
    },

    async close() {
      if (!pool.ended) await pool.end()
    },
  }
}

function toSummary(row: Row): EventSummary {
  return {
    seq: Number(row.seq),
    id: row.id as string,
    source: row.source as string,
    dedupeKey: row.dedupe_key as string,
    webhookId: row.webhook_id as string | null,
    receivedAt: (row.received_at as Date).getTime(),
    contentType: row.content_type as string,
    bodyBytes: row.body_bytes as number,
    contentHash: row.content_hash as string,
    verification: row.verification as StoredEvent['verification'],
    ghlType: row.ghl_type as string | null,
    locationId: row.location_id as string | null,
    companyId: row.company_id as string | null,
    sentAt: row.sent_at as string | null,
    flags: (row.flags as string[] | null) ?? [],
    eventHint: row.event_hint as string | null,
    status: row.status as StoredEvent['status'],
    duplicateCount: row.duplicate_count as number,
    lastDuplicateAt: row.last_duplicate_at ? (row.last_duplicate_at as Date).getTime() : null,
  }
}

/** The URL without its password, for logs and the boot banner. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return 'postgres://(unparseable url)'
  }
}
