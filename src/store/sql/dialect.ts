import type { RowDecoding } from '../event-columns.js'
import { type Param, param, type Rendered, raw, render, type Sql, sql } from './sql.js'

/**
 * What differs between SQLite and PostgreSQL for the operations both stores share (this folder):
 * placeholders, how times and JSON travel through the driver, and a few functions. Everything else
 * in a shared statement is the same text on both.
 */
export interface Dialect {
  readonly name: 'sqlite' | 'postgres'
  /** `$1, $2 …` (a Param used twice keeps its number) or one `?` per use. */
  render(query: Sql): Rendered
  /** Epoch ms → what a time column takes: a Date for timestamptz, the number for SQLite's INTEGER. */
  time(ms: number): unknown
  /** Time and JSON columns as the driver hands them back (jsonb arrives parsed; SQLite TEXT does not). */
  readonly decode: RowDecoding
  /** A value as JSON text for the driver (PostgreSQL's jsonb refuses `\u0000`: see below). */
  encodeJson(value: unknown): string
  /** A JSON text parameter where a JSON column takes it: PostgreSQL casts it to jsonb. */
  json(value: Param): Sql
  /** An integer aggregate: node-pg returns bigint as text, so PostgreSQL casts to int. */
  int(expr: Sql): Sql
  /** 1-based position of `needle` in `text`, 0 when absent: matched literally, no wildcards to escape. */
  position(text: Sql, needle: Sql | Param): Sql
  /**
   * Whether the bytes of `bytes` (a BLOB or bytea column) contain `needle` (a Param holding a
   * Buffer), byte for byte: no wildcards, no case folding, no decoding (a raw body may not be UTF-8).
   */
  bytesContain(bytes: Sql, needle: Param): Sql
  /**
   * Now, for a lease every process must read alike: PostgreSQL's own clock (processes on several
   * hosts share the database, not a clock); SQLite's processes share one host, so the caller's `ms`.
   */
  leaseClock(ms: number): Sql
  /** `time` plus `ms` (a Param holding milliseconds), as a time column takes it. */
  plusMs(time: Sql, ms: Param): Sql
  /** A number at the top level of a JSON column (`key` is a literal of ours), or NULL. */
  jsonNumber(column: Sql, key: string): Sql
  /** Which `width`-ms bucket counted from `origin` (epoch ms) a time column falls in: 0, 1, … */
  bucketOf(time: Sql, origin: Param, width: Param): Sql
}

/**
 * jsonb refuses the escape `\u0000`, which JSON.stringify writes for a NUL character. A signed body
 * may carry one (classification notes quote body text), so it becomes U+FFFD instead of failing the
 * insert. The lookbehind skips an escaped backslash followed by the literal text "u0000".
 */
const JSON_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g

function jsonForPostgres(value: unknown): string {
  return JSON.stringify(value).replace(JSON_NUL, '$1\\ufffd')
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  render: (query) => render(query, false),
  time: (ms) => ms,
  decode: { json: (value) => JSON.parse(value as string), time: (value) => value as number },
  encodeJson: (value) => JSON.stringify(value),
  json: (value) => sql`${value}`,
  int: (expr) => expr,
  position: (text, needle) => sql`instr(${text}, ${needle})`,
  // Both arguments BLOBs: instr compares bytes (a TEXT needle would make it compare characters).
  bytesContain: (bytes, needle) => sql`instr(${bytes}, ${needle}) > 0`,
  leaseClock: (ms) => sql`${param(ms)}`,
  plusMs: (time, ms) => sql`(${time} + ${ms})`,
  jsonNumber: (column, key) => sql`json_extract(${column}, ${raw(`'$.${key}'`)})`,
  // INTEGER columns and casts: integer division, which truncates (floor for times ≥ origin).
  bucketOf: (time, origin, width) =>
    sql`((${time} - CAST(${origin} AS INTEGER)) / CAST(${width} AS INTEGER))`,
}

export const postgresDialect: Dialect = {
  name: 'postgres',
  render: (query) => render(query, true),
  time: (ms) => new Date(ms),
  decode: { json: (value) => value, time: (value) => (value as Date).getTime() },
  encodeJson: jsonForPostgres,
  json: (value) => sql`${value}::jsonb`,
  int: (expr) => sql`${expr}::int`,
  position: (text, needle) => sql`strpos(${text}, ${needle})`,
  // strpos is for text; position() takes bytea.
  bytesContain: (bytes, needle) => sql`position(${needle}::bytea IN ${bytes}) > 0`,
  leaseClock: () => raw('now()'),
  plusMs: (time, ms) => sql`(${time} + ${ms}::integer * interval '1 millisecond')`,
  jsonNumber: (column, key) => sql`(${column} ->> ${raw(`'${key}'`)})::double precision`,
  // date_part, not extract: extract answers numeric (PostgreSQL 14+), several times slower per row
  // than date_part's double precision, which is exact for whole milliseconds at today's epoch.
  bucketOf: (time, origin, width) =>
    sql`floor((date_part('epoch', ${time}) * 1000 - ${origin}::float8) / ${width}::float8)::int`,
}
