import type { EventStore } from '../types.js'
import { entityEvents } from './entity-events.js'
import { eventTypeStats } from './event-type-stats.js'
import { listEvents } from './list-events.js'
import { pruneEvents } from './prune-events.js'
import type { SqlRunner } from './runner.js'

/**
 * What each store does its own way: `insertEvents` is the bulk insert (one `unnest` statement on
 * PostgreSQL, a transaction of prepared inserts on SQLite); `getEvent` is read synchronously inside
 * SQLite's claim transaction, and is a named prepared statement on PostgreSQL.
 */
export type OwnEventOperations = 'insertEvents' | 'getEvent'

export function sharedEvents(db: SqlRunner): Omit<EventStore, OwnEventOperations> {
  return {
    eventTypeStats: (eventTypes, now) => eventTypeStats(db, eventTypes, now),
    listEvents: (filter, page, budget) => listEvents(db, filter, page, budget),
    entityEvents: (request) => entityEvents(db, request),
    pruneEvents: db.write((before, limit) => pruneEvents(db, before, limit)),
  }
}
