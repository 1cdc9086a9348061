import type Database from 'better-sqlite3'
import type { DlqJobStore } from '../dlq-job-store.js'
import { sqliteDialect } from '../sql/dialect.js'
import { dlqJobBatch } from '../sql/dlq-job-batch.js'
import type { WriteGate } from '../sql/runner.js'

/**
 * SQLite's driver for a bulk job's batch: every statement synchronously, in one BEGIN IMMEDIATE
 * transaction, so no other write of this process lands inside it and a crash keeps all or none.
 * Batches are short (a window of 500 dead deliveries: a few ms, docs/benchmarks.md), and the
 * runner pauses between them: webhooks wait behind one batch at most.
 */
export function sqliteRunDlqJobBatch(db: Database.Database, write: WriteGate): DlqJobStore['runDlqJobBatch'] {
  const batch = db.transaction((...args: Parameters<DlqJobStore['runDlqJobBatch']>) => {
    const steps = dlqJobBatch(sqliteDialect, ...args)
    let next = steps.next(undefined as never)
    while (!next.done) {
      const { text, values } = sqliteDialect.render(next.value)
      const statement = db.prepare(text)
      next = statement.reader
        ? steps.next({ rows: statement.all(...values) as Record<string, unknown>[], changes: 0 })
        : steps.next({ rows: [], changes: statement.run(...values).changes })
    }
    return next.value
  })
  return write(async (...args) => batch.immediate(...args))
}
