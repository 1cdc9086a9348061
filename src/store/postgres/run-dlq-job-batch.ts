import type pg from 'pg'
import type { DlqJobStore } from '../dlq-job-store.js'
import { postgresDialect } from '../sql/dialect.js'
import { dlqJobBatch } from '../sql/dlq-job-batch.js'

/**
 * PostgreSQL's driver for a bulk job's batch: the statements on one client between BEGIN and
 * COMMIT. The first one locks the job's row, so a cancel or another runner waits for the commit.
 */
export function postgresRunDlqJobBatch(pool: pg.Pool): DlqJobStore['runDlqJobBatch'] {
  return async (...args) => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      const steps = dlqJobBatch(postgresDialect, ...args)
      let next = steps.next(undefined as never)
      while (!next.done) {
        const { text, values } = postgresDialect.render(next.value)
        const result = await client.query(text, values)
        next = steps.next({ rows: result.rows, changes: result.rowCount ?? 0 })
      }
      await client.query('COMMIT')
      return next.value
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }
}
