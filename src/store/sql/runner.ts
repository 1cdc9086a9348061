import type { Dialect } from './dialect.js'
import type { Sql } from './sql.js'

export type Row = Record<string, unknown>

/**
 * Wraps a store method that writes, where it is defined. SQLite's waits while a checkpoint holds
 * writes back, then tells the checkpointer how much was written (`weight`, default 1; see
 * sqlite/write-gate.ts); PostgreSQL's returns the method as it is.
 */
export type WriteGate = <A extends unknown[], R>(
  method: (...args: A) => Promise<R>,
  weight?: (...args: A) => number,
) => (...args: A) => Promise<R>

/**
 * A store's connection as the shared operations see it: statements in, rows or a change count out.
 * SQLite's (sqlite/sqlite-runner.ts) keeps prepared statements; PostgreSQL's sends each to the pool.
 */
export interface SqlRunner {
  readonly dialect: Dialect
  all<R = Row>(query: Sql): Promise<R[]>
  /** How many rows the statement changed. */
  run(query: Sql): Promise<number>
  readonly write: WriteGate
}
