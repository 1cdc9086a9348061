import type { DlqJobStore } from '../types.js'
import { countDead } from './count-dead.js'
import { deadGroups } from './dead-groups.js'
import { cancelDlqJob, claimDlqJob, createDlqJob, failDlqJob, getDlqJob, listDlqJobs } from './dlq-jobs.js'
import type { SqlRunner } from './runner.js'

/**
 * The bulk-job operations both stores send as the same statements. runDlqJobBatch is each store's
 * own: the batch's statements are shared (dlq-job-batch.ts), the transaction that holds them is not
 * (SQLite runs it synchronously, PostgreSQL on one client).
 */
export function sharedDlqJobs(db: SqlRunner): Omit<DlqJobStore, 'runDlqJobBatch'> {
  return {
    countDead: (filter, cap) => countDead(db, filter, cap),
    deadGroups: (filter, scan) => deadGroups(db, filter, scan),
    createDlqJob: db.write((job) => createDlqJob(db, job)),
    getDlqJob: (id) => getDlqJob(db, id),
    listDlqJobs: (limit) => listDlqJobs(db, limit),
    cancelDlqJob: db.write((id, now) => cancelDlqJob(db, id, now)),
    claimDlqJob: db.write((owner, now, leaseMs) => claimDlqJob(db, owner, now, leaseMs)),
    failDlqJob: db.write((id, owner, error, now) => failDlqJob(db, id, owner, error, now)),
  }
}
