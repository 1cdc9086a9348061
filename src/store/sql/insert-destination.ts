import type { DestinationWrite } from '../types.js'
import type { SqlRunner } from './runner.js'
import { param, sql } from './sql.js'

/** A new destination is active, or disabled when its definition says `enabled: false`; false when the id is taken. */
export async function insertDestination(db: SqlRunner, d: DestinationWrite, now: number): Promise<boolean> {
  const { json, time } = db.dialect
  const at = param(time(now))
  const changed = await db.run(
    sql`INSERT INTO destinations (id, origin, definition, state, state_reason, created_at, updated_at)
      VALUES (${param(d.id)}, ${param(d.origin)}, ${json(param(db.dialect.encodeJson(d.definition)))},
        ${param(d.enabled ? 'active' : 'disabled')}, ${param(d.enabled ? null : 'enabled: false')}, ${at}, ${at})
      ON CONFLICT (id) DO NOTHING`,
  )
  return changed === 1
}
