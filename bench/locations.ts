/**
 * The Locations reads at 1,000,000 events (bench/lib/event-rows.ts: 200 locations, 50,000
 * contacts, one ordered delivery per event for most): the store time of a first page of
 * `GET /api/locations` (50 tenants), of one tenant (`getLocation`), and of its blocked lanes with
 * 1,000 and then 10,000 ordered deliveries waiting for a retry (the second beyond the examine
 * budget of 5,000). Prints the plan of each statement (EXPLAIN QUERY PLAN / EXPLAIN). Both stores.
 *
 *   npx tsx bench/locations.ts [--events 1000000] [--store sqlite,postgres] [--runs 20]
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { openStore } from '../src/store/open-store.js'
import { blockedLanes } from '../src/store/sql/blocked-lanes.js'
import { type Dialect, postgresDialect, sqliteDialect } from '../src/store/sql/dialect.js'
import { getLocation } from '../src/store/sql/get-location.js'
import { listLocations } from '../src/store/sql/list-locations.js'
import type { SqlRunner } from '../src/store/sql/runner.js'
import type { Sql } from '../src/store/sql/sql.js'
import { benchCommand, int, listOption, oneOf } from './lib/args.js'
import { loadPostgresEvents, loadSqliteEvents } from './lib/event-rows.js'
import { startBenchPostgres } from './lib/postgres.js'
import { formatTable, markdownTable, num, percentiles } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand(
  'locations.ts',
  'Locations reads at 1M events: tenant page, one tenant, blocked lanes.',
)
  .option('--events <n>', 'events to load', int(1000, 5_000_000), 1_000_000)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--runs <n>', 'measured runs per case (after 3 warm-up runs)', int(3, 1000), 20)
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ events: number; store: StoreKind[]; runs: number }>()
const N = o.events
const now = Date.now()
const DAY = 86_400_000

/** Runs statements through `exec`, printing each distinct statement's plan once. */
function explaining(
  dialect: Dialect,
  exec: (text: string, values: unknown[]) => Promise<Record<string, unknown>[]>,
): SqlRunner {
  const explained = new Set<string>()
  return {
    dialect,
    async all<R>(query: Sql) {
      const { text, values } = dialect.render(query)
      const shape = text.replace(/\s+/g, ' ').slice(0, 80)
      if (!explained.has(shape)) {
        explained.add(shape)
        const plan = await exec(
          `${dialect.name === 'sqlite' ? 'EXPLAIN QUERY PLAN' : 'EXPLAIN'} ${text}`,
          values,
        )
        console.log(`\n-- ${shape}…\n${plan.map((r) => r.detail ?? r['QUERY PLAN']).join('\n')}`)
      }
      return (await exec(text, values)) as R[]
    },
    run: async () => 0,
    write: (method) => method,
  }
}

async function measure(name: string, call: () => Promise<unknown>, rows: string[][]) {
  for (let i = 0; i < 3; i++) await call()
  const times: number[] = []
  for (let i = 0; i < o.runs; i++) {
    const started = performance.now()
    await call()
    times.push(performance.now() - started)
  }
  const p = percentiles(times)
  const at95 = [...times].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.95 * times.length) - 1)]!
  rows.push([name, num(p.p50, 2), num(at95, 2)])
}

/** Pending deliveries (the newest 1 %) → retry_scheduled: every 10th, then all of them. */
const RETRYING = [
  { name: '1,000 retrying', where: `state = 'pending' AND event_seq % 10 = 0` },
  { name: '10,000 retrying (examine budget 5,000)', where: `state = 'pending'` },
]

async function cases(kind: StoreKind, db: SqlRunner, exec: (text: string) => Promise<unknown>) {
  const rows = [['case', 'median ms', 'p95 ms']]
  const windows = [
    ['24h', now - DAY],
    ['7d', now - 7 * DAY],
    ['60d (all, 5,000 events per location)', now - 60 * DAY],
  ] as const
  for (const [name, since] of windows)
    await measure(
      `listLocations, 25 tenants, window ${name}`,
      () => listLocations(db, { since, limit: 25 }),
      rows,
    )
  await measure('getLocation loc_7, window 24h', () => getLocation(db, 'loc_7', now - DAY), rows)
  await measure('blockedLanes loc_7, nothing retrying', () => blockedLanes(db, 'loc_7', 50), rows)
  for (const r of RETRYING) {
    await exec(`UPDATE deliveries SET state = 'retry_scheduled' WHERE ${r.where}`)
    await exec(kind === 'sqlite' ? 'ANALYZE' : 'ANALYZE deliveries')
    const answer = await blockedLanes(db, 'loc_7', 50)
    await measure(
      `blockedLanes loc_7, ${r.name} → ${answer.lanes.length} lanes${answer.truncated ? ', truncated' : ''}`,
      () => blockedLanes(db, 'loc_7', 50),
      rows,
    )
  }
  // A smaller examine budget, for choosing the default (the last case's data: 10,000 retrying).
  await measure(
    'blockedLanes loc_7, 10,000 retrying, examine budget 2,000',
    () => blockedLanes(db, 'loc_7', 50, { examine: 2_000 }),
    rows,
  )
  console.log(`\n## ${kind}: ${N.toLocaleString('en-US')} events, ${o.runs} runs per case\n`)
  console.log(formatTable(rows))
  console.log(`\n${markdownTable(rows)}\n`)
}

async function runSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-locations-'))
  try {
    const path = join(dir, 'gw.db')
    const migrating = openStore({ url: `sqlite:${path}` })
    await migrating.migrate()
    await migrating.close()
    const loadMs = loadSqliteEvents(path, N, now)
    console.log(`SQLite: ${N.toLocaleString('en-US')} events loaded in ${(loadMs / 1000).toFixed(1)} s`)
    const db = new Database(path)
    try {
      const runner = explaining(
        sqliteDialect,
        async (text, values) => db.prepare(text).all(...values) as never,
      )
      await cases('sqlite', runner, async (text) => db.exec(text))
    } finally {
      db.close()
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runPostgres() {
  const server = await startBenchPostgres()
  try {
    const url = await server.createDatabase('locations')
    const migrating = openStore({ url })
    await migrating.migrate()
    await migrating.close()
    const loadMs = await loadPostgresEvents(url, N, now)
    console.log(`PostgreSQL: ${N.toLocaleString('en-US')} events loaded in ${(loadMs / 1000).toFixed(1)} s`)
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    try {
      const runner = explaining(
        postgresDialect,
        async (text, values) => (await client.query(text, values)).rows,
      )
      await cases('postgres', runner, (text) => client.query(text))
    } finally {
      await client.end()
    }
  } finally {
    await server.stop()
  }
}

for (const kind of o.store) {
  if (kind === 'sqlite') await runSqlite()
  else await runPostgres()
}
