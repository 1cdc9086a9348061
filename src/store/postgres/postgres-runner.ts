import type pg from 'pg'
import { postgresDialect } from '../sql/dialect.js'
import type { SqlRunner } from '../sql/runner.js'

/** Runs the shared operations on the pool, one statement per query (no writes wait: no gate). */
export function postgresRunner(pool: pg.Pool): SqlRunner {
  return {
    dialect: postgresDialect,
    write: (method) => method,
    async all<R>(query: Parameters<SqlRunner['all']>[0]) {
      const { text, values } = postgresDialect.render(query)
      return (await pool.query(text, values)).rows as R[]
    },
    async run(query) {
      const { text, values } = postgresDialect.render(query)
      return (await pool.query(text, values)).rowCount ?? 0
    },
  }
}
