import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { leaseFields } from '../delivery-rows.js'
import { EVENT_COLUMNS, INSERT_COLUMNS, rowToEvent } from '../event-columns.js'
import { loadMigrations, migrationLabel, planMigrations, statusOf } from '../migrations.js'
import { postgresDialect } from '../sql/dialect.js'
import { sharedDestinations } from '../sql/shared-destinations.js'
import { sharedDlqJobs } from '../sql/shared-dlq-jobs.js'
import { sharedEvents } from '../sql/shared-events.js'
import { sharedGhlTokens } from '../sql/shared-ghl-tokens.js'
import { sharedInstallations } from '../sql/shared-installations.js'
import { sharedLocations } from '../sql/shared-locations.js'
import type { InsertOutcome, MigrationReport, NewEvent, Store } from '../types.js'
import { postgresGhlRateWindows } from './ghl-rate-windows.js'
import { postgresDeliveries } from './postgres-deliveries.js'
import { postgresDestinations } from './postgres-destinations.js'
import { postgresRateBuckets } from './postgres-rate-buckets.js'
import { postgresRunner } from './postgres-runner.js'
import { postgresRunDlqJobBatch } from './run-dlq-job-batch.js'
import { listenForWork, WORK_CHANNEL, workPayload } from './work-listener.js'

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

/**
 * What "the database cannot take writes right now" looks like: SQLSTATE classes 08 (connection),
 * 53 (insufficient resources: disk full, out of memory, too many connections), 57 (operator
 * intervention: shutdown, crash recovery), 58 (system/IO error), and 25006 (read-only transaction:
 * a replica after failover); plus the driver's own network and pool errors, which have no SQLSTATE.
 * Anything else (a data error, a bug) is not an outage and must not be reported as one.
 */
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58'])
const UNAVAILABLE_STATES = new Set(['25006', '40001', '40P01'])
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
])
const DRIVER_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Cannot use a pool after calling end|Query read timeout|connection is closed/i

const PG_TYPES = {
  text: 'text',
  int: 'int',
  bool: 'bool',
  json: 'jsonb',
  bytes: 'bytea',
  time: 'timestamptz',
} as const

/**
 * One statement inserts the whole batch: one array per column, `unnest` into rows. The statement
 * text never changes with the batch size, so PostgreSQL plans it once per connection.
 * On a conflict the existing row is kept, its duplicate counter bumped (by the number of copies in
 * the batch), and RETURNING gives the existing id: an id that is not ours means "duplicate".
 */
const INSERT_EVENTS = `WITH inserted AS (
    INSERT INTO events (${INSERT_COLUMNS.map((c) => c.name).join(', ')}, duplicate_count)
    SELECT * FROM unnest(${INSERT_COLUMNS.map((c, i) => `$${i + 1}::${PG_TYPES[c.kind]}[]`).join(', ')},
      $${INSERT_COLUMNS.length + 1}::int[])
    ON CONFLICT (dedupe_key, source) DO UPDATE
      SET duplicate_count = events.duplicate_count + excluded.duplicate_count + 1,
          last_duplicate_at = excluded.received_at
    RETURNING id, seq, source, dedupe_key, received_at
  ), planned AS (
    -- Deliveries of the events this statement inserted (a duplicate's existing id joins nothing):
    -- pending, or leased at ingest (delivery-rows.ts leaseFields).
    INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at, lease_owner,
      attempts, total_attempts, cycle_started_at, created_at, updated_at)
    SELECT d.id, inserted.id, inserted.seq, d.subscriber_id, d.state, d.ordering_key, d.run_at, d.lease_owner,
      d.attempts, d.attempts, inserted.received_at, inserted.received_at, inserted.received_at
    FROM unnest($${INSERT_COLUMNS.length + 2}::text[], $${INSERT_COLUMNS.length + 3}::text[],
      $${INSERT_COLUMNS.length + 4}::text[], $${INSERT_COLUMNS.length + 5}::text[],
      $${INSERT_COLUMNS.length + 6}::timestamptz[], $${INSERT_COLUMNS.length + 7}::text[],
      $${INSERT_COLUMNS.length + 8}::text[], $${INSERT_COLUMNS.length + 9}::int[])
      AS d(id, event_id, subscriber_id, ordering_key, run_at, state, lease_owner, attempts)
    JOIN inserted ON inserted.id = d.event_id
  )
  SELECT id, seq, source, dedupe_key FROM inserted`

/** Driver encoding per column kind: JSON as text (cast to jsonb), times as ISO text. */
function encode(kind: (typeof INSERT_COLUMNS)[number]['kind'], value: unknown): unknown {
  if (value === null || value === undefined) return null
  if (kind === 'json') return postgresDialect.encodeJson(value)
  if (kind === 'time') return new Date(value as number).toISOString()
  return value
}

/** The planned deliveries of a batch, one array per column (joined to the inserted events by id). */
function deliveryColumns(events: readonly NewEvent[]): unknown[][] {
  const rows = events.flatMap((event) =>
    event.deliveries.map((delivery) => ({ event, delivery, lease: leaseFields(delivery) })),
  )
  return [
    rows.map((r) => r.delivery.id),
    rows.map((r) => r.event.id),
    rows.map((r) => r.delivery.subscriberId),
    rows.map((r) => r.delivery.orderingKey),
    rows.map((r) => new Date(r.lease.runAt).toISOString()),
    rows.map((r) => r.lease.state),
    rows.map((r) => r.lease.owner),
    rows.map((r) => r.lease.attempts),
  ]
}

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

  const runner = postgresRunner(pool)
  // Names this store's own announcements, so that its listener does not wake its own worker a
  // second time for work it was told about in-process already (one claim less per ingest commit).
  const origin = randomBytes(6).toString('hex')
  const eventsById = async (ids: string[]) => {
    // Prepared: it runs after every claim.
    const { rows } = await pool.query<Row>({
      name: 'events_by_id',
      text: `SELECT ${EVENT_COLUMNS} FROM events WHERE id = ANY($1)`,
      values: [ids],
    })
    return new Map(rows.map((row) => [row.id as string, rowToEvent(row, postgresDialect.decode)]))
  }

  return {
    traits: {
      name: 'postgres',
      commitConcurrency: 2,
      exclusiveWrites: false,
      sharedRateLimits: true,
      crossProcessWakeups: true,
      checkpointStats: () => undefined,
    },
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
          applied.push(migrationLabel(migration))
        }
        return { applied, current: rows.length + plan.pending.length, unknown: plan.unknown }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {})
        client.release()
      }
    },

    async migrationStatus() {
      // migrate() creates the table; before the first migration it does not exist (nothing applied).
      const { rows: exists } = await pool.query<{ found: boolean }>(
        `SELECT to_regclass('gateway_migrations') IS NOT NULL AS found`,
      )
      const { rows } = exists[0]?.found
        ? await pool.query<{ version: number; checksum: string }>(
            'SELECT version, checksum FROM gateway_migrations',
          )
        : { rows: [] }
      return statusOf(loadMigrations(MIGRATIONS), rows)
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
      const { rows } = await pool.query<{ id: string; seq: string; source: string; dedupe_key: string }>({
        name: 'insert_events',
        text: INSERT_EVENTS,
        values: [
          ...INSERT_COLUMNS.map((c) => unique.map((group) => encode(c.kind, c.get(group.event)))),
          unique.map((group) => group.extraCopies),
          ...deliveryColumns(unique.map((group) => group.event)),
        ],
      })
      const stored = new Map(rows.map((row) => [groupKey(row.source, row.dedupe_key), row]))
      // Only a row we inserted carries our id; later copies in the batch were never inserted.
      return events.map((event): InsertOutcome => {
        const row = stored.get(groupKey(event.source, event.dedupeKey))
        if (row === undefined) throw new Error(`insert returned no row for ${event.id}`)
        return row.id === event.id
          ? { status: 'accepted', eventId: row.id, seq: Number(row.seq) }
          : { status: 'duplicate', eventId: row.id }
      })
    },

    async getEvent(id) {
      const { rows } = await pool.query<Row>({
        name: 'get_event',
        text: `SELECT ${EVENT_COLUMNS} FROM events WHERE id = $1`,
        values: [id],
      })
      return rows[0] ? rowToEvent(rows[0], postgresDialect.decode) : undefined
    },

    ...sharedEvents(runner),
    ...postgresDeliveries(pool, runner, eventsById),
    ...postgresRateBuckets(pool),
    ...sharedDestinations(runner),
    ...sharedLocations(runner),
    ...sharedGhlTokens(runner),
    ...sharedInstallations(runner),
    ...postgresGhlRateWindows(pool),
    ...postgresDestinations(pool),
    ...sharedDlqJobs(runner),
    runDlqJobBatch: postgresRunDlqJobBatch(pool),

    async announceWork(topic = 'deliveries') {
      await pool.query(`SELECT pg_notify('${WORK_CHANNEL}', '${workPayload(topic, origin)}')`)
    },

    listenForWork(onWork, onError) {
      return listenForWork(options.url, origin, onWork, onError)
    },

    async heartbeat(instance) {
      await pool.query({
        name: 'heartbeat',
        text: `INSERT INTO gateway_instances (instance_id, version, started_at, last_seen_at)
          VALUES ($1, $2, $3, now())
          ON CONFLICT (instance_id) DO UPDATE SET last_seen_at = now()`,
        values: [instance.id, instance.version, new Date(instance.startedAt)],
      })
    },

    isUnavailableError(error: unknown) {
      const code = (error as { code?: unknown }).code
      if (typeof code === 'string') {
        if (NETWORK_CODES.has(code)) return true
        if (/^[0-9A-Z]{5}$/.test(code))
          return UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || UNAVAILABLE_STATES.has(code)
      }
      return error instanceof Error && DRIVER_MESSAGES.test(error.message)
    },

    async close() {
      if (!pool.ended) await pool.end()
    },
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
