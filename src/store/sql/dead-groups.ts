import { deliveryConditions } from '../delivery-rows.js'
import type { DlqFilter, DlqGroup } from '../dlq-job-store.js'
import type { SqlRunner } from './runner.js'
import { param, sql, where } from './sql.js'

/** Groups answered at most (the largest). */
const GROUPS = 100

/**
 * The newest `scan` dead deliveries matching (down the partial index deliveries_dead), grouped by
 * subscriber and error fingerprint: bounded work, and the answer says how many it looked at. The
 * sample error and delivery are each group's greatest (`max`), not necessarily from one row.
 */
export async function deadGroups(
  db: SqlRunner,
  filter: DlqFilter,
  scan: number,
): Promise<{ groups: DlqGroup[]; scanned: number }> {
  const { dialect } = db
  const conditions = deliveryConditions({ ...filter, states: ['dead'] }, dialect)
  const rows = await db.all(
    sql`SELECT subscriber_id, error_fingerprint, ${dialect.int(sql`count(*)`)} AS n, min(updated_at) AS first_dead,
      max(updated_at) AS last_dead, max(id) AS sample_id, max(last_error) AS sample_error
    FROM (SELECT d.subscriber_id, d.error_fingerprint, d.updated_at, d.id, d.last_error
      FROM deliveries d JOIN events e ON e.id = d.event_id ${where(conditions)}
      ORDER BY d.seq DESC LIMIT ${param(scan)}) w
    GROUP BY subscriber_id, error_fingerprint
    ORDER BY n DESC, last_dead DESC`,
  )
  const groups = rows.map(
    (row): DlqGroup => ({
      subscriberId: row.subscriber_id as string,
      fingerprint: row.error_fingerprint as string | null,
      sampleError: row.sample_error as string | null,
      sampleDeliveryId: row.sample_id as string,
      count: Number(row.n),
      firstDeadAt: dialect.decode.time(row.first_dead),
      lastDeadAt: dialect.decode.time(row.last_dead),
    }),
  )
  return { groups: groups.slice(0, GROUPS), scanned: groups.reduce((n, g) => n + g.count, 0) }
}
