import type Database from 'better-sqlite3'
import { sqliteDialect } from '../sql/dialect.js'
import type { SqlRunner, WriteGate } from '../sql/runner.js'

/** Prepared statements kept at most: the shared operations' texts, plus some filtered listings. */
const KEPT = 200

export interface SqliteRunner extends SqlRunner {
  /** Forgets prepared statements (after a migration). */
  reset(): void
}

/**
 * Runs the shared operations on a better-sqlite3 connection. A statement is prepared once per text
 * and kept (a listing's text varies with its filters and cursor, so the cache starts over when full).
 */
export function sqliteRunner(db: Database.Database, write: WriteGate): SqliteRunner {
  const prepared = new Map<string, Database.Statement>()
  const prepare = (text: string) => {
    let statement = prepared.get(text)
    if (!statement) {
      if (prepared.size >= KEPT) prepared.clear()
      statement = db.prepare(text)
      prepared.set(text, statement)
    }
    return statement
  }
  return {
    dialect: sqliteDialect,
    write,
    async all<R>(query: Parameters<SqlRunner['all']>[0]) {
      const { text, values } = sqliteDialect.render(query)
      return prepare(text).all(...values) as R[]
    },
    async run(query) {
      const { text, values } = sqliteDialect.render(query)
      return prepare(text).run(...values).changes
    },
    reset: () => prepared.clear(),
  }
}

/** A statement of fixed text, prepared at first use: its tables exist only after migrate(). */
export function lazyStatement(db: Database.Database, text: string): () => Database.Statement {
  let statement: Database.Statement | undefined
  return () => {
    statement ??= db.prepare(text)
    return statement
  }
}
