import type { DlqJob, NewDlqJob } from '../dlq-job-store.js'
import { DLQ_JOB_COLUMNS, rowToDlqJob } from './dlq-job-rows.js'
import type { SqlRunner } from './runner.js'
import { param, raw, sql } from './sql.js'

/**
 * The small operations on dlq_jobs, a table of a few rows per bulk action (a statement each; kept
 * in one file because each is one short statement on one tiny table). The batch, where the work
 * is, has its own file: dlq-job-batch.ts.
 */

/** Unfinished: the claim's and cancel's states, as in the partial index dlq_jobs_open. */
const OPEN = `('queued', 'running')`

export async function createDlqJob(db: SqlRunner, job: NewDlqJob): Promise<DlqJob> {
  const { dialect } = db
  const at = param(dialect.time(job.now))
  // Dead at or before the creation's millisecond (`until` is exclusive), or the filter's earlier `until`.
  const deadBefore = Math.min(job.now + 1, job.filter.until ?? job.now + 1)
  const [row] = await db.all(
    sql`INSERT INTO dlq_jobs (id, action, filter, dead_before, state, total, total_capped, created_at, updated_at)
    VALUES (${param(job.id)}, ${param(job.action)}, ${dialect.json(param(dialect.encodeJson(job.filter)))},
      ${param(dialect.time(deadBefore))}, 'queued', ${param(job.total)},
      ${dialect.name === 'postgres' ? param(job.totalCapped) : param(job.totalCapped ? 1 : 0)}, ${at}, ${at})
    RETURNING ${raw(DLQ_JOB_COLUMNS)}`,
  )
  return rowToDlqJob(row!, dialect)
}

export async function getDlqJob(db: SqlRunner, id: string): Promise<DlqJob | undefined> {
  const [row] = await db.all(sql`SELECT ${raw(DLQ_JOB_COLUMNS)} FROM dlq_jobs WHERE id = ${param(id)}`)
  return row && rowToDlqJob(row, db.dialect)
}

export async function listDlqJobs(db: SqlRunner, limit: number): Promise<DlqJob[]> {
  const rows = await db.all(
    sql`SELECT ${raw(DLQ_JOB_COLUMNS)} FROM dlq_jobs ORDER BY seq DESC LIMIT ${param(limit)}`,
  )
  return rows.map((row) => rowToDlqJob(row, db.dialect))
}

/** A batch in flight holds the job's row (PostgreSQL) or the write lock (SQLite): it commits first. */
export async function cancelDlqJob(
  db: SqlRunner,
  id: string,
  now: number,
): Promise<{ job: DlqJob | undefined; cancelled: boolean }> {
  const at = param(db.dialect.time(now))
  const [row] = await db.all(
    sql`UPDATE dlq_jobs SET state = 'cancelled', lease_owner = NULL, lease_expires_at = NULL, finished_at = ${at},
      updated_at = ${at} WHERE id = ${param(id)} AND state IN ${raw(OPEN)} RETURNING ${raw(DLQ_JOB_COLUMNS)}`,
  )
  if (row) return { job: rowToDlqJob(row, db.dialect), cancelled: true }
  return { job: await getDlqJob(db, id), cancelled: false }
}

/**
 * The oldest unfinished job whose lease is free or ran out. The outer WHERE repeats the subquery's
 * test: on PostgreSQL two runners may pick the same row; the second waits for the first's update,
 * re-reads the row, finds the lease taken, and claims nothing this time.
 */
export async function claimDlqJob(
  db: SqlRunner,
  owner: string,
  now: number,
  leaseMs: number,
): Promise<string | undefined> {
  const at = param(db.dialect.time(now))
  const free = sql`state IN ${raw(OPEN)} AND (lease_expires_at IS NULL OR lease_expires_at <= ${at})`
  const [row] = await db.all<{ id: string }>(
    sql`UPDATE dlq_jobs SET state = 'running', lease_owner = ${param(owner)},
      lease_expires_at = ${param(db.dialect.time(now + leaseMs))}, started_at = COALESCE(started_at, ${at}),
      updated_at = ${at}
    WHERE id = (SELECT id FROM dlq_jobs WHERE ${free} ORDER BY seq LIMIT 1) AND ${free}
    RETURNING id`,
  )
  return row?.id
}

export async function failDlqJob(
  db: SqlRunner,
  id: string,
  owner: string,
  error: string,
  now: number,
): Promise<boolean> {
  const at = param(db.dialect.time(now))
  const changed = await db.run(
    sql`UPDATE dlq_jobs SET state = 'failed', error = ${param(error.slice(0, 2000))}, lease_owner = NULL,
      lease_expires_at = NULL, finished_at = ${at}, updated_at = ${at}
    WHERE id = ${param(id)} AND state = 'running' AND lease_owner = ${param(owner)}`,
  )
  return changed === 1
}
