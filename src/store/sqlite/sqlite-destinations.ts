import type Database from 'better-sqlite3'
import type { DestinationState, Store, StoredDestination } from '../types.js'

/**
 * The destination half of the SQLite store. The state rule on writes: `enabled: false` makes a
 * destination `disabled`; enabling a disabled one makes it `active`; a pause survives edits.
 */

type Row = Record<string, unknown>
type DestinationMethods = Pick<
  Store,
  | 'listDestinations'
  | 'getDestination'
  | 'insertDestination'
  | 'replaceDestination'
  | 'setDestinationState'
  | 'deleteDestination'
>

const COLUMNS = 'id, origin, definition, state, state_reason, created_at, updated_at'

function rowToDestination(row: Row): StoredDestination {
  return {
    id: row.id as string,
    origin: row.origin as StoredDestination['origin'],
    definition: JSON.parse(row.definition as string),
    state: row.state as DestinationState,
    stateReason: row.state_reason as string | null,
    createdAt: row.created_at as number,
    updatedAt: row.updated_at as number,
  }
}

export function sqliteDestinations(db: Database.Database) {
  const statements = () => ({
    list: db.prepare(`SELECT ${COLUMNS} FROM destinations ORDER BY created_at, id`),
    get: db.prepare(`SELECT ${COLUMNS} FROM destinations WHERE id = ?`),
    insert:
      db.prepare(`INSERT INTO destinations (id, origin, definition, state, state_reason, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`),
    replace: db.prepare(`UPDATE destinations SET origin = ?, definition = ?, updated_at = ?,
        state = CASE WHEN ? = 0 THEN 'disabled' WHEN state = 'disabled' THEN 'active' ELSE state END,
        state_reason = CASE WHEN ? = 0 THEN 'enabled: false' WHEN state = 'disabled' THEN NULL ELSE state_reason END
      WHERE id = ?`),
    setState: db.prepare('UPDATE destinations SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?'),
    remove: db.prepare('DELETE FROM destinations WHERE id = ?'),
    deadLetter:
      db.prepare(`UPDATE deliveries SET state = 'dead', lease_owner = NULL, last_error = ?, updated_at = ?,
        completed_at = ? WHERE subscriber_id = ? AND state IN ('pending', 'leased', 'retry_scheduled')`),
  })
  let prepared: ReturnType<typeof statements> | undefined
  const s = () => {
    prepared ??= statements()
    return prepared
  }

  const remove = db.transaction((id: string, now: number, reason: string) => {
    const deleted = s().remove.run(id).changes === 1
    const deadLettered = deleted ? s().deadLetter.run(reason, now, now, id).changes : 0
    return { deleted, deadLettered }
  })

  const methods: DestinationMethods = {
    async listDestinations() {
      return (s().list.all() as Row[]).map(rowToDestination)
    },
    async getDestination(id) {
      const row = s().get.get(id) as Row | undefined
      return row ? rowToDestination(row) : undefined
    },
    async insertDestination(d, now) {
      return (
        s().insert.run(
          d.id,
          d.origin,
          JSON.stringify(d.definition),
          d.enabled ? 'active' : 'disabled',
          d.enabled ? null : 'enabled: false',
          now,
          now,
        ).changes === 1
      )
    },
    async replaceDestination(d, now) {
      const enabled = d.enabled ? 1 : 0
      return (
        s().replace.run(d.origin, JSON.stringify(d.definition), now, enabled, enabled, d.id).changes === 1
      )
    },
    async setDestinationState(id, state, reason, now, from) {
      return db
        .transaction(() => {
          const current = s().get.get(id) as Row | undefined
          if (!current) return false
          if (from && !from.includes(current.state as DestinationState)) return false
          if (current.state === state && current.state_reason === reason) return false
          return s().setState.run(state, reason, now, id).changes === 1
        })
        .immediate()
    },
    async deleteDestination(id, now, reason) {
      return remove.immediate(id, now, reason)
    },
  }
  return { methods, reset: () => (prepared = undefined) }
}
