import type pg from 'pg'
import { errorFingerprint } from '../error-fingerprint.js'
import { OPEN_STATES_SQL } from '../sql/delivery-states-sql.js'
import { postgresDialect } from '../sql/dialect.js'
import type { OwnDestinationOperations } from '../sql/shared-destinations.js'
import type { DestinationStore } from '../types.js'

/**
 * The destination operations PostgreSQL runs its own way (why: sql/shared-destinations.ts). The
 * state rule on writes: `enabled: false` makes a destination `disabled`; enabling a disabled one
 * makes it `active`; a pause survives edits. Orphans (config destinations no running process
 * defines): `claim` clears the flag and lifts the orphan's own pause (`orphan` sets it and pauses:
 * sql/orphan-config-destinations.ts). Deleting dead-letters the destination's open deliveries in
 * the same transaction.
 */

const at = (ms: number) => new Date(ms)
const json = postgresDialect.encodeJson

export function postgresDestinations(pool: pg.Pool): Pick<DestinationStore, OwnDestinationOperations> {
  return {
    async replaceDestination(d, now) {
      const { rowCount } = await pool.query(
        `UPDATE destinations SET origin = $2, definition = $3::jsonb, updated_at = $4,
           state = CASE WHEN NOT $5 THEN 'disabled' WHEN state = 'disabled' THEN 'active' ELSE state END,
           state_reason = CASE WHEN NOT $5 THEN 'enabled: false' WHEN state = 'disabled' THEN NULL
             ELSE state_reason END,
           -- Adopting an orphan (it becomes an API destination) ends its orphan status.
           orphaned_at = CASE WHEN $2 = 'api' THEN NULL ELSE orphaned_at END,
           config_seen_at = CASE WHEN $2 = 'api' THEN NULL ELSE config_seen_at END
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

    async claimConfigDestinations(ids, now, orphanReason) {
      if (!ids.length) return []
      // `was` reads the row before the update (FOR UPDATE: a concurrent orphaning waits, then is seen).
      const { rows } = await pool.query<{ id: string; was_orphan: boolean }>(
        `UPDATE destinations d SET config_seen_at = $2,
           orphaned_at = NULL,
           updated_at = CASE WHEN was.orphaned_at IS NULL THEN d.updated_at ELSE $2 END,
           state = CASE WHEN was.orphaned_at IS NOT NULL AND d.state = 'paused' AND d.state_reason = $3
             THEN 'active' ELSE d.state END,
           state_reason = CASE WHEN was.orphaned_at IS NOT NULL AND d.state = 'paused' AND d.state_reason = $3
             THEN NULL ELSE d.state_reason END
         FROM (SELECT id, orphaned_at FROM destinations WHERE id = ANY($1) AND origin = 'config' FOR UPDATE) was
         WHERE d.id = was.id
         RETURNING d.id, was.orphaned_at IS NOT NULL AS was_orphan`,
        [[...ids], at(now), orphanReason],
      )
      return rows
        .filter((row) => row.was_orphan)
        .map((row) => row.id)
        .sort()
    },

    async releaseConfigDestinations(ids, claimedAt) {
      if (!ids.length) return
      await pool.query(
        `UPDATE destinations SET config_seen_at = NULL
         WHERE id = ANY($1) AND origin = 'config' AND config_seen_at = $2`,
        [[...ids], at(claimedAt)],
      )
    },

    async countOpenDeliveries(subscriberIds) {
      const { rows } = await pool.query<{ subscriber_id: string; n: number }>(
        `SELECT subscriber_id, count(*)::int AS n FROM deliveries
         WHERE subscriber_id = ANY($1) AND state IN ${OPEN_STATES_SQL} GROUP BY subscriber_id`,
        [[...new Set(subscriberIds)]],
      )
      return new Map(rows.map((row) => [row.subscriber_id, row.n]))
    },

    async deleteDestination(id, now, reason) {
      const client = await pool.connect()
      try {
        await client.query('BEGIN')
        const removed = await client.query(
          `DELETE FROM destinations WHERE id = $1 AND (origin = 'api' OR orphaned_at IS NOT NULL)`,
          [id],
        )
        let deadLettered = 0
        if (removed.rowCount === 1) {
          const moved = await client.query(
            `UPDATE deliveries SET state = 'dead', lease_owner = NULL, last_error = $2, updated_at = $3,
               completed_at = $3, error_fingerprint = $4
             WHERE subscriber_id = $1 AND state IN ${OPEN_STATES_SQL}`,
            [id, reason, at(now), errorFingerprint(reason)],
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
