import type pg from 'pg'
import type { DestinationState, Store, StoredDestination } from '../types.js'

/**
 * The destination half of the PostgreSQL store. The state rule on writes: `enabled: false` makes a
 * destination `disabled`; enabling a disabled one makes it `active`; a pause survives edits.
 * Deleting dead-letters the destination's open deliveries in the same transaction.
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
const at = (ms: number) => new Date(ms)

function rowToDestination(row: Row): StoredDestination {
  return {
    id: row.id as string,
    origin: row.origin as StoredDestination['origin'],
    definition: row.definition as Record<string, unknown>,
    state: row.state as DestinationState,
    stateReason: row.state_reason as string | null,
    createdAt: (row.created_at as Date).getTime(),
    updatedAt: (row.updated_at as Date).getTime(),
  }
}

export function postgresDestinations(pool: pg.Pool, json: (value: unknown) => string): DestinationMethods {
  return {
    async listDestinations() {
      const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM destinations ORDER BY created_at, id`)
      return rows.map(rowToDestination)
    },

    async getDestination(id) {
      const { rows } = await pool.query<Row>(`SELECT ${COLUMNS} FROM destinations WHERE id = $1`, [id])
      return rows[0] ? rowToDestination(rows[0]) : undefined
    },

    async insertDestination(d, now) {
      const { rowCount } = await pool.query(
        `INSERT INTO destinations (id, origin, definition, state, state_reason, created_at, updated_at)
         VALUES ($1, $2, $3::jsonb, $4, $5, $6, $6) ON CONFLICT (id) DO NOTHING`,
        [
          d.id,
          d.origin,
          json(d.definition),
          d.enabled ? 'active' : 'disabled',
          d.enabled ? null : 'enabled: false',
          at(now),
        ],
      )
      return rowCount === 1
    },

    async replaceDestination(d, now) {
      const { rowCount } = await pool.query(
        `UPDATE destinations SET origin = $2, definition = $3::jsonb, updated_at = $4,
           state = CASE WHEN NOT $5 THEN 'disabled' WHEN state = 'disabled' THEN 'active' ELSE state END,
           state_reason = CASE WHEN NOT $5 THEN 'enabled: false' WHEN state = 'disabled' THEN NULL
             ELSE state_reason END
         WHERE id = $1`,
        [d.id, d.origin, json(d.definition), at(now), d.enabled],
      )
      return rowCount === 1
    },

    async setDestinationState(id, state, reason, now, from) {
      const { rowCount } = await pool.query(
        `UPDATE destinations SET state = $2, state_reason = $3, updated_at = $4
         WHERE id = $1 AND ($5::text[] IS NULL OR state = ANY($5))
           AND (state, state_reason) IS DISTINCT FROM ($2, $3)`,
        [id, state, reason, at(now), from ? [...from] : null],
      )
      return rowCount === 1
    },

    async deleteDestination(id, now, reason) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const removed = await client.query('DELETE FROM destinations WHERE id = $1', [id])
        let deadLettered = 0
        if (removed.rowCount === 1) {
          const moved = await client.query(
            `UPDATE deliveries SET state = 'dead', lease_owner = NULL, last_error = $2, updated_at = $3,
               completed_at = $3
             WHERE subscriber_id = $1 AND state IN ('pending', 'leased', 'retry_scheduled')`,
            [id, reason, at(now)],
          )
          deadLettered = moved.rowCount ?? 0
        }
        await client.query('COMMIT')
        return { deleted: removed.rowCount === 1, deadLettered }
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      } finally {
        client.release()
      }
    },
  }
}
