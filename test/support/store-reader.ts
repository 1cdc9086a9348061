import Database from 'better-sqlite3'
import pg from 'pg'

/**
 * Reads what the gateway committed straight from its database (SQLite file or PostgreSQL), not
 * through the gateway: the witness a reliability test trusts. Safe while the gateway runs (SQLite
 * WAL readers do not block its writer).
 *
 * ```ts
 * const reader = storeReader(databaseUrl)
 * const events = await reader.events()          // every stored event: id, webhookId, hash, verified
 * ```
 */

export interface StoredEventRow {
  id: string
  webhookId: string | null
  /** `sha256:<hex>` of the exact bytes received. */
  contentHash: string
  verified: boolean
}

export interface StoredDeliveryRow {
  id: string
  eventId: string
  subscriberId: string
  state: string
  attempts: number
  totalAttempts: number
}

export interface StoreReader {
  events(): Promise<StoredEventRow[]>
  deliveries(): Promise<StoredDeliveryRow[]>
  /** Deliveries not in a final state (pending, leased, retry_scheduled). */
  openDeliveries(): Promise<number>
  /** Event ids with an attempt recorded as `lease_lost` (it ran past its lease; another run took over). */
  leaseLostEvents(): Promise<Set<string>>
}

// The webhooks a run sent: the gateway's own operational events (source `gateway`, e.g. the dead
// letters' alerts) are not among them.
const EVENTS_SQL = "SELECT id, webhook_id, content_hash, verified FROM events WHERE source <> 'gateway'"
const DELIVERIES_SQL = 'SELECT id, event_id, subscriber_id, state, attempts, total_attempts FROM deliveries'
const LEASE_LOST_SQL =
  "SELECT DISTINCT d.event_id FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE a.outcome = 'lease_lost'"
const OPEN_SQL =
  "SELECT count(*) AS n FROM deliveries WHERE state IN ('pending', 'leased', 'retry_scheduled')"

interface RawEvent {
  id: string
  webhook_id: string | null
  content_hash: string
  verified: number | boolean
}
interface RawDelivery {
  id: string
  event_id: string
  subscriber_id: string
  state: string
  attempts: number
  total_attempts: number
}

const toEvent = (row: RawEvent): StoredEventRow => ({
  id: row.id,
  webhookId: row.webhook_id,
  contentHash: row.content_hash,
  verified: row.verified === true || row.verified === 1,
})
const toDelivery = (row: RawDelivery): StoredDeliveryRow => ({
  id: row.id,
  eventId: row.event_id,
  subscriberId: row.subscriber_id,
  state: row.state,
  attempts: Number(row.attempts),
  totalAttempts: Number(row.total_attempts),
})

/** `sqlite:<path>` or `postgres://…`, as DATABASE_URL takes it. */
export function storeReader(databaseUrl: string): StoreReader {
  if (databaseUrl.startsWith('sqlite:')) {
    const path = databaseUrl.slice('sqlite:'.length)
    const query = <T>(sql: string): T[] => {
      const db = new Database(path, { fileMustExist: true })
      try {
        return db.prepare(sql).all() as T[]
      } finally {
        db.close()
      }
    }
    return {
      events: async () => query<RawEvent>(EVENTS_SQL).map(toEvent),
      deliveries: async () => query<RawDelivery>(DELIVERIES_SQL).map(toDelivery),
      openDeliveries: async () => Number(query<{ n: number }>(OPEN_SQL)[0]?.n ?? 0),
      leaseLostEvents: async () =>
        new Set(query<{ event_id: string }>(LEASE_LOST_SQL).map((r) => r.event_id)),
    }
  }
  const query = async <T extends pg.QueryResultRow>(sql: string): Promise<T[]> => {
    const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 })
    await client.connect()
    try {
      return (await client.query<T>(sql)).rows
    } finally {
      await client.end()
    }
  }
  return {
    events: async () => (await query<RawEvent>(EVENTS_SQL)).map(toEvent),
    deliveries: async () => (await query<RawDelivery>(DELIVERIES_SQL)).map(toDelivery),
    openDeliveries: async () => Number((await query<{ n: string }>(OPEN_SQL))[0]?.n ?? 0),
    leaseLostEvents: async () =>
      new Set((await query<{ event_id: string }>(LEASE_LOST_SQL)).map((r) => r.event_id)),
  }
}
