/**
 * The console's catalog stats (`store.eventTypeStats`, sql/event-type-stats.ts) at 1,000,000 events,
 * every one of them inside the 7-day window (the worst case: the counts are index range scans of the
 * window): half of them `contact.updated`, the rest spread over the 77 catalog types, every 500th
 * drifted (2,000). Asks for all 77 types, as GET /api/catalog does. SQLite gets ANALYZE after the
 * load, PostgreSQL VACUUM ANALYZE. Prints median and p95, and each store's plan.
 *
 *   npx tsx bench/catalog-stats.ts [--events 1000000] [--store sqlite,postgres] [--runs 20]
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import Database from 'better-sqlite3'
import pg from 'pg'
import { CANONICAL_EVENT_NAMES } from '../src/catalog/index.js'
import { openStore } from '../src/store/open-store.js'
import { type Dialect, postgresDialect, sqliteDialect } from '../src/store/sql/dialect.js'
import { eventTypeStats } from '../src/store/sql/event-type-stats.js'
import type { SqlRunner } from '../src/store/sql/runner.js'
import type { Sql } from '../src/store/sql/sql.js'
import type { Store } from '../src/store/types.js'
import { benchCommand, int, listOption, oneOf, quietWaitOption } from './lib/args.js'
import { quietOrWarn } from './lib/machine.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { num, percentiles } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand('catalog-stats.ts', 'Catalog traffic stats (eventTypeStats) at 1M events in the week.')
  .option('--events <n>', 'events to load', int(1000, 5_000_000), 1_000_000)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--runs <n>', 'measured runs (after 3 warm-up runs)', int(3, 1000), 20)
  .addOption(quietWaitOption('before each store', 30))
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ events: number; store: StoreKind[]; runs: number; quietWait: number }>()
const N = o.events
const now = Date.now()
/** All N events inside the last 7 days (6.9 d, oldest first). */
const STEP_MS = Math.floor((6.9 * 86_400_000) / N)
const TYPES = CANONICAL_EVENT_NAMES
const typeSql = (n: string, array: string) =>
  `CASE WHEN ${n} % 2 = 0 THEN 'contact.updated' ELSE ${array} END`

async function measure(store: Store) {
  const call = () => store.eventTypeStats(TYPES, now + 1000)
  for (let i = 0; i < 3; i++) await call()
  const times: number[] = []
  let last = await call()
  // How long the event loop (ingest, on SQLite) was held at a time: the longest statement.
  const held = monitorEventLoopDelay({ resolution: 1 })
  held.enable()
  for (let i = 0; i < o.runs; i++) {
    const started = performance.now()
    last = await call()
    times.push(performance.now() - started)
    // A turn of the loop between calls: the monitor's timer records a block only when it runs.
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  held.disable()
  const sorted = [...times].sort((a, b) => a - b)
  const p95 = sorted[Math.max(0, Math.ceil(0.95 * sorted.length) - 1)]!
  const week = last.types.reduce((sum, t) => sum + t.lastWeek, 0)
  const day = last.types.reduce((sum, t) => sum + t.lastDay, 0)
  return { p50: percentiles(times).p50, p95, week, day, heldMs: held.max / 1e6 }
}

function report(kind: StoreKind, m: Awaited<ReturnType<typeof measure>>) {
  console.log(
    `${kind}: ${N.toLocaleString('en-US')} events, 77 types: median ${num(m.p50, 1)} ms, p95 ${num(m.p95, 1)} ms ` +
      `(counted ${m.week.toLocaleString('en-US')} in 7 d, ${m.day.toLocaleString('en-US')} in 24 h); ` +
      `event loop held at most ${num(m.heldMs, 1)} ms at a time`,
  )
}

async function runSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-catalog-stats-'))
  try {
    const path = join(dir, 'gw.db')
    const migrating = openStore({ url: `sqlite:${path}` })
    await migrating.migrate()
    await migrating.close()
    const db = new Database(path)
    const array = `CASE n % ${TYPES.length} ${TYPES.map((t, i) => `WHEN ${i} THEN '${t}'`).join(' ')} END`
    db.exec(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${N})
      INSERT INTO events (id, source, dedupe_key, received_at, content_type, headers, raw_body, body_bytes,
        content_hash, verified, verification, event_name, event_type, schema_status)
      SELECT 'evt_' || printf('%026d', n), 'ghl', 'wh_' || n, ${now} - (${N} - n) * ${STEP_MS}, 'application/json',
        '{}', CAST('{"type":"x","id":"c_' || n || '"}' AS BLOB), 30, 'sha256:x', 1, '{}', 'X', ${typeSql('n', array)},
        CASE WHEN n % 500 = 0 THEN 'drift' ELSE 'valid' END FROM g;
      ANALYZE;`)
    const statement = await statementOf(sqliteDialect)
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${statement.text}`).all(...statement.values)
    db.close()
    console.log('SQLite plan:')
    for (const row of plan as { detail: string }[]) console.log(`  ${row.detail}`)
    const store = openStore({ url: `sqlite:${path}` })
    try {
      await quietOrWarn('sqlite', o.quietWait)
      report('sqlite', await measure(store))
    } finally {
      await store.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runPostgres() {
  let server: BenchPostgres | undefined
  try {
    server = await startBenchPostgres()
    const url = await server.createDatabase('catalog_stats')
    const migrating = openStore({ url })
    await migrating.migrate()
    await migrating.close()
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    const array = `(ARRAY[${TYPES.map((t) => `'${t}'`).join(',')}])[1 + g % ${TYPES.length}]`
    await client.query(`INSERT INTO events (id, source, dedupe_key, received_at, content_type, headers, raw_body,
        body_bytes, content_hash, verified, verification, event_name, event_type, schema_status)
      SELECT 'evt_' || lpad(g::text, 26, '0'), 'ghl', 'wh_' || g,
        to_timestamp((${now} - (${N} - g)::bigint * ${STEP_MS}) / 1000.0), 'application/json', '{}'::jsonb,
        convert_to('{"type":"x","id":"c_' || g || '"}', 'UTF8'), 30, 'sha256:x', true, '{}'::jsonb, 'X',
        ${typeSql('g', array)}, CASE WHEN g % 500 = 0 THEN 'drift' ELSE 'valid' END
      FROM generate_series(1, ${N}) g`)
    await client.query('VACUUM ANALYZE events')
    const rendered = await statementOf(postgresDialect)
    const plan = await client.query(`EXPLAIN (ANALYZE, COSTS OFF) ${rendered.text}`, rendered.values)
    console.log('PostgreSQL plan:')
    for (const row of plan.rows as { 'QUERY PLAN': string }[]) console.log(`  ${row['QUERY PLAN']}`)
    await client.end()
    const store = openStore({ url })
    try {
      await quietOrWarn('postgres', o.quietWait)
      report('postgres', await measure(store))
    } finally {
      await store.close()
    }
  } finally {
    await server?.stop()
  }
}

/** The statement eventTypeStats sends on `dialect`, rendered, through a runner that only records it. */
async function statementOf(dialect: Dialect) {
  let captured: Sql | undefined
  const recorder = {
    dialect,
    // The plan shown is one slice's statement (the counts; the others are single seeks).
    all: async (query: Sql) => {
      if (!captured && dialect.render(query).text.includes('WITH types')) captured = query
      return [{ day: 0, week: 0 }]
    },
  } as unknown as SqlRunner
  await eventTypeStats(recorder, TYPES, now + 1000)
  return dialect.render(captured!)
}

for (const kind of o.store) {
  if (kind === 'sqlite') await runSqlite()
  else await runPostgres()
}
