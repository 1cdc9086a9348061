import type { DlqJob } from '../dlq-job-store.js'
import type { Dialect } from './dialect.js'
import type { Row } from './runner.js'

/** dlq_jobs rows → objects, shared by both stores. */
export const DLQ_JOB_COLUMNS = `id, action, filter, dead_before, state, total, total_capped, done, cursor, lease_owner,
  lease_expires_at, error, created_at, started_at, finished_at, updated_at`

export function rowToDlqJob(row: Row, dialect: Dialect): DlqJob {
  const { time, json } = dialect.decode
  const maybeTime = (value: unknown) => (value === null || value === undefined ? null : time(value))
  return {
    id: row.id as string,
    action: row.action as DlqJob['action'],
    filter: json(row.filter) as DlqJob['filter'],
    deadBefore: time(row.dead_before),
    state: row.state as DlqJob['state'],
    total: Number(row.total),
    totalCapped: Boolean(row.total_capped),
    done: Number(row.done),
    cursor: Number(row.cursor),
    leaseOwner: row.lease_owner as string | null,
    leaseExpiresAt: maybeTime(row.lease_expires_at),
    error: row.error as string | null,
    createdAt: time(row.created_at),
    startedAt: maybeTime(row.started_at),
    finishedAt: maybeTime(row.finished_at),
    updatedAt: time(row.updated_at),
  }
}
