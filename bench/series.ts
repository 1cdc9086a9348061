/**
 * The console's charts (`GET /api/stats/series`) at 1,000,000 events, per window: `statsSeries`
 * for one bucket (its slice statement and the open/DLQ statement: on SQLite, about the longest the
 * event loop is held at a time), the first view of a fresh process (all 60 buckets: 61 statements)
 * and the next refresh (settled buckets kept, src/api/series-cache.ts). Baseline in the same run: `/health`'s `processingStats`. Both stores: a
 * real SQLite file and an embedded PostgreSQL.
 *
 *   npx tsx bench/series.ts [--events 1000000] [--store sqlite,postgres] [--runs 10]
 *
 * Rows are generated in SQL and spread evenly over the 7 days before now, so the 7-day window
 * reads all of them (the worst case), 24 h a seventh, 1 h 1/168. Each event has one delivery and
 * one attempt ~0.2 s after it; every 20th delivery failed once first (a `retry` attempt), every
 * 211th is dead, the newest 1 % open (no attempt yet), the rest succeeded. Bodies are a few bytes:
 * the series never reads them. PostgreSQL gets VACUUM ANALYZE after the load, SQLite ANALYZE.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { SeriesCache } from '../src/api/series-cache.js'
import { STATS_WINDOWS, statsRange } from '../src/observe/stats-windows.js'
import { openStore } from '../src/store/open-store.js'
import type { Store } from '../src/store/types.js'
import { benchCommand, int, listOption, oneOf } from './lib/args.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { formatTable, markdownTable, num, percentiles } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand('series.ts', 'GET /api/stats/series per window at 1M events, both stores.')
  .option(
    '--events <n>',
    'events to load (each with a delivery and an attempt)',
    int(1000, 5_000_000),
    1_000_000,
  )
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--runs <n>', 'measured runs per window (after 2 warm-up runs)', int(3, 100), 10)
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ events: number; store: StoreKind[]; runs: number }>()

const N = o.events
const SPAN_MS = 7 * 86_400_000
const now = Date.now()
/** Event n (1 … N) is received at this many ms since the epoch (SQL text, both stores). */
const receivedSql = (n: string) => `(${now} - (${N} - ${n}) * (${SPAN_MS} / ${N}))`
const stateSql = (n: string) =>
  `CASE WHEN ${n} > ${N} * 0.99 THEN 'pending' WHEN ${n} % 211 = 0 THEN 'dead' ELSE 'succeeded' END`

function loadSqlite(path: string): number {
  const db = new Database(path)
  const started = performance.now()
  db.exec(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${N})
    INSERT INTO events (id, source, dedupe_key, received_at, content_type, headers, raw_body, body_bytes,
      content_hash, verified, verification)
    SELECT 'evt_' || printf('%026d', n), 'ghl', 'wh_' || n, ${receivedSql('n')}, 'application/json', '{}',
      X'7B7D', 2, 'sha256:x', 1, '{}' FROM g;
    INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, run_at, cycle_started_at, created_at,
      updated_at, completed_at, attempts, total_attempts)
    SELECT 'dlv_' || printf('%026d', seq), id, seq, 'crm', ${stateSql('seq')}, received_at, received_at,
      received_at, received_at, CASE WHEN ${stateSql('seq')} = 'pending' THEN NULL ELSE received_at + 200 END, 1, 1
    FROM events;
    INSERT INTO attempts (id, delivery_id, number, worker, started_at, duration_ms, outcome)
    SELECT 'att_r' || printf('%026d', event_seq), id, 1, 'w', created_at + 100, 5, 'retry'
    FROM deliveries WHERE event_seq % 20 = 0 AND state <> 'pending';
    INSERT INTO attempts (id, delivery_id, number, worker, started_at, duration_ms, outcome)
    SELECT 'att_' || printf('%026d', event_seq), id, 1, 'w', created_at + 195, 5, state
    FROM deliveries WHERE state <> 'pending';
    ANALYZE;`)
  db.close()
  return performance.now() - started
}

async function loadPostgres(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const started = performance.now()
  const at = (ms: string) => `to_timestamp((${ms}) / 1000.0)`
  try {
    await client.query(`INSERT INTO events (id, source, dedupe_key, received_at, content_type, headers, raw_body,
      body_bytes, content_hash, verified, verification)
    SELECT 'evt_' || lpad(g::text, 26, '0'), 'ghl', 'wh_' || g, ${at(receivedSql('g'))}, 'application/json',
      '{}'::jsonb, '\\x7b7d'::bytea, 2, 'sha256:x', true, '{}'::jsonb
    FROM generate_series(1, ${N}) g`)
    await client.query(`INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, run_at,
      cycle_started_at, created_at, updated_at, completed_at, attempts, total_attempts)
    SELECT 'dlv_' || lpad(e.seq::text, 26, '0'), e.id, e.seq, 'crm', ${stateSql('e.seq')}, e.received_at,
      e.received_at, e.received_at, e.received_at,
      CASE WHEN ${stateSql('e.seq')} = 'pending' THEN NULL ELSE e.received_at + interval '200 ms' END, 1, 1
    FROM events e`)
    await client.query(`INSERT INTO attempts (id, delivery_id, number, worker, started_at, duration_ms, outcome)
    SELECT 'att_r' || lpad(event_seq::text, 26, '0'), id, 1, 'w', created_at + interval '100 ms', 5, 'retry'
    FROM deliveries WHERE event_seq % 20 = 0 AND state <> 'pending'`)
    await client.query(`INSERT INTO attempts (id, delivery_id, number, worker, started_at, duration_ms, outcome)
    SELECT 'att_' || lpad(event_seq::text, 26, '0'), id, 1, 'w', created_at + interval '195 ms', 5, state
    FROM deliveries WHERE state <> 'pending'`)
    for (const table of ['events', 'deliveries', 'attempts']) await client.query(`VACUUM ANALYZE ${table}`)
  } finally {
    await client.end()
  }
  return performance.now() - started
}

async function measure(call: () => Promise<unknown>) {
  for (let i = 0; i < 2; i++) await call()
  const times: number[] = []
  for (let i = 0; i < o.runs; i++) {
    const started = performance.now()
    await call()
    times.push(performance.now() - started)
  }
  const sorted = [...times].sort((a, b) => a - b)
  return { p50: percentiles(times).p50, max: sorted.at(-1)! }
}

async function measureStore(kind: StoreKind, store: Store) {
  const rows = [['window', 'events in it', 'one bucket: median ms', 'max ms', 'first view ms', 'refresh ms']]
  const health = await measure(() => store.processingStats(Date.now()))
  rows.push(['/health (processingStats), baseline', '', num(health.p50, 1), num(health.max, 1), '', ''])
  for (const window of STATS_WINDOWS) {
    const range = statsRange(window, Date.now())
    // One bucket in the middle of the window: what one store call of the route reads.
    const middle = { start: range.start + 30 * range.bucketMs, bucketMs: range.bucketMs, buckets: 1 }
    const one = await measure(() => store.statsSeries(middle))
    // What GET /api/stats/series does on a fresh process, then on the next refresh.
    const cache = new SeriesCache(store)
    let started = performance.now()
    const first = await cache.series(statsRange(window, Date.now()), Date.now())
    const firstMs = performance.now() - started
    started = performance.now()
    await cache.series(statsRange(window, Date.now()), Date.now())
    const refreshMs = performance.now() - started
    const events = first.received.reduce((a, b) => a + b, 0)
    rows.push([window, num(events), num(one.p50, 1), num(one.max, 1), num(firstMs, 0), num(refreshMs, 1)])
  }
  console.log(`\n## ${kind}: ${N.toLocaleString('en-US')} events over 7 days, ${o.runs} runs per bucket\n`)
  console.log(formatTable(rows))
  console.log(`\n${markdownTable(rows)}\n`)
}

async function runSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-series-'))
  try {
    const path = join(dir, 'gw.db')
    const migrating = openStore({ url: `sqlite:${path}` })
    await migrating.migrate()
    await migrating.close()
    console.log(`SQLite: loaded in ${(loadSqlite(path) / 1000).toFixed(1)} s`)
    const store = openStore({ url: `sqlite:${path}` })
    try {
      await measureStore('sqlite', store)
    } finally {
      await store.close()
    }
  } finally {
    if (process.env.KEEP_DB) console.log(`kept ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

async function runPostgres() {
  let server: BenchPostgres | undefined
  try {
    server = await startBenchPostgres()
    const url = await server.createDatabase('series')
    const migrating = openStore({ url })
    await migrating.migrate()
    await migrating.close()
    console.log(`PostgreSQL: loaded in ${((await loadPostgres(url)) / 1000).toFixed(1)} s`)
    const store = openStore({ url })
    try {
      await measureStore('postgres', store)
    } finally {
      await store.close()
    }
  } finally {
    await server?.stop()
  }
}

for (const kind of o.store) await (kind === 'sqlite' ? runSqlite() : runPostgres())
