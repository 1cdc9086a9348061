/**
 * The destination page's figures at 1,000,000 attempts: how long `recentSubscriberAttempts` (one
 * bounded read: the gateway's last 5,000 attempts, joined to their deliveries, kept for one
 * subscriber, at most 200) takes — the store time of GET /api/destinations/:id/attempts. Cases: a
 * destination with 1 in 20 of the attempts, one with 1 in 1,000, and one with none in the window
 * (the whole window read, nothing kept). Both stores: a real SQLite file and an embedded PostgreSQL.
 *
 *   npx tsx bench/destination-attempts.ts [--events 1000000] [--store sqlite,postgres] [--runs 30]
 *
 * Rows come from bench/lib/event-rows.ts (one delivery per event but every 53rd), then one
 * attempt per delivery (outcome and status by seq), and the deliveries are spread over
 * subscribers: `dest_0` … `dest_19` by seq, every 1,000th `rare`.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { openStore } from '../src/store/open-store.js'
import type { Store } from '../src/store/types.js'
import { benchCommand, int, listOption, oneOf } from './lib/args.js'
import { loadPostgresEvents, loadSqliteEvents } from './lib/event-rows.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { formatTable, num, percentiles } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand('destination-attempts.ts', "A destination's recent attempts at 1M attempts.")
  .option('--events <n>', 'events to load (one attempt per delivery)', int(1000, 5_000_000), 1_000_000)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--runs <n>', 'measured runs per case (after 3 warm-up runs)', int(3, 1000), 30)
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ events: number; store: StoreKind[]; runs: number }>()
const N = o.events
const now = Date.now()
const LIMIT = 200
const SCAN = 5000

const subscriberSql = (seq: string) =>
  `CASE WHEN ${seq} % 1000 = 0 THEN 'rare' ELSE 'dest_' || (${seq} % 20) END`

const CASES = [
  { name: '1 in 20 of the attempts', subscriber: 'dest_3' },
  { name: '1 in 1,000', subscriber: 'rare' },
  { name: 'none in the window', subscriber: 'nobody' },
]

async function measure(kind: StoreKind, store: Store, attempts: number) {
  const rows: string[][] = []
  for (const c of CASES) {
    const times: number[] = []
    let found = 0
    for (let i = 0; i < o.runs + 3; i++) {
      const started = performance.now()
      found = (await store.recentSubscriberAttempts(c.subscriber, LIMIT, SCAN)).length
      if (i >= 3) times.push(performance.now() - started)
    }
    const p = percentiles(times)
    rows.push([kind, c.name, String(found), num(p.p50, 2), num(p.p90, 2), num(p.max, 2)])
  }
  console.log(`${kind}: ${attempts.toLocaleString('en-US')} attempts`)
  return rows
}

async function runSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-destination-attempts-'))
  try {
    const path = join(dir, 'gw.db')
    const migrating = openStore({ url: `sqlite:${path}` })
    await migrating.migrate()
    await migrating.close()
    loadSqliteEvents(path, N, now)
    const db = new Database(path)
    db.exec(`UPDATE deliveries SET subscriber_id = ${subscriberSql('seq')};
      INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms, outcome,
        error_class, error_message, response)
      SELECT 'att_' || printf('%026d', seq), id, 1, 0, 'w', updated_at, 5 + seq % 40,
        CASE WHEN seq % 7 = 0 THEN 'retry' ELSE 'succeeded' END,
        CASE WHEN seq % 7 = 0 THEN 'HttpStatusError' END, CASE WHEN seq % 7 = 0 THEN 'answered 503' END,
        json_object('status', CASE WHEN seq % 7 = 0 THEN 503 ELSE 200 END, 'durationMs', 5, 'headers', json('{}'))
      FROM deliveries ORDER BY seq;
      ANALYZE;`)
    const attempts = (db.prepare('SELECT count(*) AS n FROM attempts').get() as { n: number }).n
    db.close()
    const store = openStore({ url: `sqlite:${path}` })
    try {
      return await measure('sqlite', store, attempts)
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
    const url = await server.createDatabase('destination_attempts')
    const migrating = openStore({ url })
    await migrating.migrate()
    await migrating.close()
    await loadPostgresEvents(url, N, now)
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(`UPDATE deliveries SET subscriber_id = ${subscriberSql('seq')}`)
    await client.query(`INSERT INTO attempts (id, delivery_id, number, cycle, worker, started_at, duration_ms,
        outcome, error_class, error_message, response)
      SELECT 'att_' || lpad(seq::text, 26, '0'), id, 1, 0, 'w', updated_at, 5 + seq % 40,
        CASE WHEN seq % 7 = 0 THEN 'retry' ELSE 'succeeded' END,
        CASE WHEN seq % 7 = 0 THEN 'HttpStatusError' END, CASE WHEN seq % 7 = 0 THEN 'answered 503' END,
        jsonb_build_object('status', CASE WHEN seq % 7 = 0 THEN 503 ELSE 200 END, 'durationMs', 5, 'headers', '{}'::jsonb)
      FROM deliveries ORDER BY seq`)
    await client.query('VACUUM ANALYZE deliveries')
    await client.query('VACUUM ANALYZE attempts')
    const attempts = Number((await client.query('SELECT count(*) AS n FROM attempts')).rows[0].n)
    await client.end()
    const store = openStore({ url })
    try {
      return await measure('postgres', store, attempts)
    } finally {
      await store.close()
    }
  } finally {
    await server?.stop()
  }
}

const rows: string[][] = []
for (const kind of o.store) rows.push(...(kind === 'sqlite' ? await runSqlite() : await runPostgres()))
console.log(formatTable([['store', 'destination', 'found', 'p50 ms', 'p90 ms', 'max ms'], ...rows], 2))
