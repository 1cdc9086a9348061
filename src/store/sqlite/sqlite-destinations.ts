import type Database from 'better-sqlite3'
import { DESTINATION_COLUMNS } from '../destination-rows.js'
import { errorFingerprint } from '../error-fingerprint.js'
import { OPEN_STATES_SQL } from '../sql/delivery-states-sql.js'
import type { WriteGate } from '../sql/runner.js'
import type { OwnDestinationOperations } from '../sql/shared-destinations.js'
import type { DestinationState, DestinationStore } from '../types.js'

/**
 * The destination operations SQLite runs its own way (why: sql/shared-destinations.ts). The state
 * rule on writes: `enabled: false` makes a destination `disabled`; enabling a disabled one makes it
 * `active`; a pause survives edits. Orphans (config destinations no running process defines):
 * `claim` clears the flag and lifts the orphan's own pause (`orphan` sets it and pauses:
 * sql/orphan-config-destinations.ts); deleting one dead-letters its open deliveries.
 */

type Row = Record<string, unknown>

export function sqliteDestinations(db: Database.Database, write: WriteGate) {
  const statements = () => ({
    // setDestinationState reads the row inside its transaction (synchronously).
    get: db.prepare(`SELECT ${DESTINATION_COLUMNS} FROM destinations WHERE id = ?`),
    // Adopting an orphan (it becomes an API destination) ends its orphan status.
    replace:
      db.prepare(`UPDATE destinations SET origin = @origin, definition = @definition, updated_at = @now,
        state = CASE WHEN @enabled = 0 THEN 'disabled' WHEN state = 'disabled' THEN 'active' ELSE state END,
        state_reason = CASE WHEN @enabled = 0 THEN 'enabled: false' WHEN state = 'disabled' THEN NULL
          ELSE state_reason END,
        orphaned_at = CASE WHEN @origin = 'api' THEN NULL ELSE orphaned_at END,
        config_seen_at = CASE WHEN @origin = 'api' THEN NULL ELSE config_seen_at END
      WHERE id = @id`),
    setState: db.prepare('UPDATE destinations SET state = ?, state_reason = ?, updated_at = ? WHERE id = ?'),
    orphanedAt: db.prepare(`SELECT orphaned_at FROM destinations WHERE id = ? AND origin = 'config'`).pluck(),
    seen: db.prepare(`UPDATE destinations SET config_seen_at = ? WHERE id = ?`),
    unorphan:
      db.prepare(`UPDATE destinations SET config_seen_at = @now, orphaned_at = NULL, updated_at = @now,
        state = CASE WHEN state = 'paused' AND state_reason = @reason THEN 'active' ELSE state END,
        state_reason = CASE WHEN state = 'paused' AND state_reason = @reason THEN NULL ELSE state_reason END
      WHERE id = @id`),
    release: db.prepare(
      `UPDATE destinations SET config_seen_at = NULL WHERE id = ? AND origin = 'config' AND config_seen_at = ?`,
    ),
    // One subscriber at a time: each count is a range of the partial index deliveries_due.
    countOpen: db
      .prepare(`SELECT count(*) FROM deliveries WHERE subscriber_id = ? AND state IN ${OPEN_STATES_SQL}`)
      .pluck(),
    remove: db.prepare(
      `DELETE FROM destinations WHERE id = ? AND (origin = 'api' OR orphaned_at IS NOT NULL)`,
    ),
    deadLetter: db.prepare(`UPDATE deliveries SET state = 'dead', lease_owner = NULL, last_error = ?,
        error_fingerprint = ?, updated_at = ?, completed_at = ? WHERE subscriber_id = ? AND state IN ${OPEN_STATES_SQL}`),
  })
  let prepared: ReturnType<typeof statements> | undefined
  const s = () => {
    prepared ??= statements()
    return prepared
  }

  const remove = db.transaction((id: string, now: number, reason: string) => {
    const deleted = s().remove.run(id).changes === 1
    const deadLettered = deleted
      ? s().deadLetter.run(reason, errorFingerprint(reason), now, now, id).changes
      : 0
    return { deleted, deadLettered }
  })

  const claim = db.transaction((ids: readonly string[], now: number, reason: string) => {
    const back: string[] = []
    for (const id of ids) {
      const orphanedAt = s().orphanedAt.get(id) as number | null | undefined
      if (orphanedAt === undefined) continue
      if (orphanedAt === null) s().seen.run(now, id)
      else {
        s().unorphan.run({ now, reason, id })
        back.push(id)
      }
    }
    return back
  })

  const methods: Pick<DestinationStore, OwnDestinationOperations> = {
    replaceDestination: write(async (d, now) => {
      return (
        s().replace.run({
          id: d.id,
          origin: d.origin,
          definition: JSON.stringify(d.definition),
          now,
          enabled: d.enabled ? 1 : 0,
        }).changes === 1
      )
    }),
    setDestinationState: write(async (id, state, reason, now, from) => {
      return db
        .transaction(() => {
          const current = s().get.get(id) as Row | undefined
          if (!current) return false
          if (from && !from.includes(current.state as DestinationState)) return false
          if (current.state === state && current.state_reason === reason) return false
          return s().setState.run(state, reason, now, id).changes === 1
        })
        .immediate()
    }),
    claimConfigDestinations: write(async (ids, now, orphanReason) => {
      return ids.length ? claim.immediate(ids, now, orphanReason) : []
    }),
    releaseConfigDestinations: write(async (ids, claimedAt) => {
      if (!ids.length) return
      db.transaction(() => {
        for (const id of ids) s().release.run(id, claimedAt)
      }).immediate()
    }),
    async countOpenDeliveries(subscriberIds) {
      const counts = new Map<string, number>()
      for (const id of new Set(subscriberIds)) {
        const n = s().countOpen.get(id) as number
        if (n > 0) counts.set(id, n)
      }
      return counts
    },
    deleteDestination: write(async (id, now, reason) => {
      return remove.immediate(id, now, reason)
    }),
  }
  return { methods, reset: () => (prepared = undefined) }
}
