/**
 * The first page of `GET /api/events` at 1,000,000 events: how long the store takes to answer it
 * (server time, what the route awaits) with no filter, each filter, each delivery status, and a
 * search `q` for ids and for body text found at once, found once and found nowhere; then the same
 * cases through the real route (`--http`, on by default): a gateway assembled on that database
 * (ROLE=ingest, so no worker touches the rows) listening on 127.0.0.1, each first page fetched with
 * the admin token, timed from request to the last byte of the JSON answer — store, serialisation,
 * response schema and loopback HTTP together. Baseline, same run: the plain first page (no filter).
 * Both stores: a real SQLite file and an embedded PostgreSQL.
 *
 *   npx tsx bench/events-page.ts [--events 1000000] [--store sqlite,postgres] [--runs 30]
 *
 * Rows are generated in SQL (as bench/explain.ts does): ContactCreate-shaped bodies of ~560 bytes
 * with a unique email and name each, 200 locations, 50,000 contacts, one delivery per event except
 * every 53rd (1.9 % `none`): every 211th dead (`failed`, 0.47 %), every 1009th discarded (0.1 %),
 * the newest 1 % open (`pending`), the rest succeeded (`delivered`). PostgreSQL gets VACUUM ANALYZE after the
 * load (what autovacuum does to a table that stopped growing), SQLite ANALYZE.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { assemble, open } from '../src/assemble.js'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/observe/logger.js'
import { SUMMARY_COLUMNS } from '../src/store/event-columns.js'
import { openStore } from '../src/store/open-store.js'
import { DEFAULT_SCAN_BUDGET } from '../src/store/sql/scan-events.js'
import type { EventFilter, EventPage, ScanBudget, Store } from '../src/store/types.js'
import { benchCommand, int, listOption, noSaveOption, oneOf, quietWaitOption } from './lib/args.js'
import { loadPostgresEvents, loadSqliteEvents, SPAN_MS } from './lib/event-rows.js'
import { machineFacts, quietOrWarn } from './lib/machine.js'
import { resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { formatTable, markdownTable, num, percentiles } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand(
  'events-page.ts',
  'First page of GET /api/events at 1M events: filters, status, search.',
)
  .option('--events <n>', 'events to load', int(1000, 5_000_000), 1_000_000)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--runs <n>', 'measured runs per case (after 3 warm-up runs)', int(3, 1000), 30)
  .option('--limit <n>', 'page size', int(1, 500), 50)
  .option('--no-http', 'skip the cases through the HTTP route')
  .addOption(quietWaitOption('before each store', 30))
  .addOption(noSaveOption('events-page'))
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{
    events: number
    store: StoreKind[]
    runs: number
    limit: number
    quietWait: number
    save: boolean
    http: boolean
  }>()
const N = o.events
const now = Date.now()
const pad = (n: number, width: number) => String(n).padStart(width, '0')

/** The cases, in print order; `first` is the baseline. */
const CASES: { name: string; filter: EventFilter; budget?: Partial<ScanBudget> }[] = [
  { name: 'no filter (baseline)', filter: {} },
  { name: 'locationId', filter: { locationId: 'loc_7' } },
  { name: 'type (canonical)', filter: { eventTypes: ['contact.created'] } },
  { name: 'entityId', filter: { entityId: 'c_4242' } },
  { name: 'webhookId', filter: { webhookId: `wh_${Math.floor(N / 2)}` } },
  { name: 'tenant', filter: { tenantId: 'loc_7' } },
  { name: 'schema=drift', filter: { schemaStatus: 'drift' } },
  { name: 'since 1 h', filter: { since: now - 3_600_000 } },
  { name: 'status=failed', filter: { status: 'failed' } },
  {
    name: 'status=failed, scanning events (as when > 5,000 dead)',
    filter: { status: 'failed' },
    budget: { fewDeliveries: 0 },
  },
  { name: 'status=pending', filter: { status: 'pending' } },
  {
    name: 'status=pending, scanning events (as when > 5,000 open)',
    filter: { status: 'pending' },
    budget: { fewDeliveries: 0 },
  },
  { name: 'status=delivered', filter: { status: 'delivered' } },
  { name: 'status=discarded', filter: { status: 'discarded' } },
  { name: 'status=none', filter: { status: 'none' } },
  { name: 'status=failed + locationId', filter: { status: 'failed', locationId: 'loc_7' } },
  { name: 'q = event id (middle of the table)', filter: { q: `evt_${pad(Math.floor(N / 2), 26)}` } },
  { name: 'q = delivery id', filter: { q: `dlv_${pad(Math.floor(N / 2) + 1, 26)}` } },
  { name: 'q = webhookId', filter: { q: `wh_${Math.floor(N / 3)}` } },
  { name: 'q = entity id', filter: { q: 'c_4242' } },
  { name: 'q body, in every body (page fills at once)', filter: { q: 'example.com' } },
  { name: 'q body, one recent event (found at once)', filter: { q: `user${N - 10}@example.com` } },
  { name: 'q body, found nowhere', filter: { q: 'nobody@nowhere.invalid' } },
  { name: 'q body found nowhere + status=failed', filter: { q: 'nobody@nowhere.invalid', status: 'failed' } },
  // One statement of the scan: the longest a search holds SQLite's event loop (ingest) at a time.
  {
    name: `q body found nowhere, one statement (${DEFAULT_SCAN_BUDGET.chunk.toLocaleString('en-US')} events)`,
    filter: { q: 'nobody@nowhere.invalid' },
    budget: { rows: DEFAULT_SCAN_BUDGET.chunk },
  },
]

/** The query string of GET /api/events that asks for `filter` (the route's names for each field). */
function queryOf(filter: EventFilter): string {
  const query = new URLSearchParams({ limit: String(o.limit) })
  if (filter.locationId) query.set('locationId', filter.locationId)
  if (filter.eventTypes) query.set('type', filter.eventTypes.join(','))
  if (filter.entityId) query.set('entityId', filter.entityId)
  if (filter.webhookId) query.set('webhookId', filter.webhookId)
  if (filter.tenantId) query.set('tenant', filter.tenantId)
  if (filter.schemaStatus) query.set('schema', filter.schemaStatus)
  if (filter.since !== undefined) query.set('since', new Date(filter.since).toISOString())
  if (filter.status) query.set('status', filter.status)
  if (filter.q) query.set('q', filter.q)
  return query.toString()
}

interface CaseResult {
  name: string
  p50: number
  p95: number
  rows: number
  searchedBackTo: number | null
  more: boolean
}

/** Warm-up, then `runs` timed calls of the first page; the answer of the last call. */
async function measure(call: () => Promise<EventPage | unknown[]>) {
  for (let i = 0; i < 3; i++) await call()
  const times: number[] = []
  let last: EventPage | unknown[] | undefined
  for (let i = 0; i < o.runs; i++) {
    const started = performance.now()
    last = await call()
    times.push(performance.now() - started)
  }
  const p = percentiles(times)
  const at95 = [...times].sort((a, b) => a - b)[Math.max(0, Math.ceil(0.95 * times.length) - 1)]!
  return { p50: p.p50, p95: at95, last: last! }
}

async function measureStore(kind: StoreKind, store: Store, plainStatement: () => Promise<unknown[]>) {
  await quietOrWarn(kind, o.quietWait)
  const results: CaseResult[] = []
  const without = await measure(plainStatement)
  for (const c of CASES) {
    const m = await measure(() => store.listEvents(c.filter, { limit: o.limit }, c.budget))
    const page = m.last as EventPage
    results.push({
      name: c.name,
      p50: m.p50,
      p95: m.p95,
      rows: page.items.length,
      searchedBackTo: page.searchedBackTo,
      more: page.nextCursor !== null,
    })
  }
  const baseline = results[0]!.p50
  const rows = [['case', 'median ms', 'p95 ms', '× baseline', 'rows', 'searched back']]
  rows.push([
    'no filter, without delivery counts (one statement)',
    num(without.p50, 2),
    num(without.p95, 2),
    num(without.p50 / baseline, 2),
    String((without.last as unknown[]).length - 1),
    '',
  ])
  for (const r of results) {
    const back =
      r.searchedBackTo === null
        ? r.more || r.rows === o.limit
          ? ''
          : 'all'
        : `${num((now - r.searchedBackTo) / 3_600_000, 1)} h (~${num(((now - r.searchedBackTo) / SPAN_MS) * N)} events)`
    rows.push([r.name, num(r.p50, 2), num(r.p95, 2), num(r.p50 / baseline, 2), String(r.rows), back])
  }
  console.log(`\n## ${kind}: first page (limit ${o.limit}), ${o.runs} runs per case\n`)
  console.log(formatTable(rows))
  console.log(`\n${markdownTable(rows)}\n`)
  return { store: kind, without: { p50: without.p50, p95: without.p95 }, results }
}

const TOKEN = 'events-page-bench-token'

/** Every case without a custom scan budget (the route has none), through a listening gateway. */
async function measureHttp(kind: StoreKind, url: string) {
  const env = {
    DATABASE_URL: url,
    ADMIN_TOKEN: TOKEN,
    ROLE: 'ingest',
    RETENTION: 'off',
    HOST: '127.0.0.1',
    PORT: '0',
  }
  const config = loadConfig({ env, cwd: '/nonexistent' })
  const assembly = await assemble(config, { env, logger: createLogger({ level: 'silent' }) })
  try {
    const base = await open(assembly)
    const rows = [['case (GET /api/events?…)', 'median ms', 'p95 ms', '× baseline', 'rows']]
    const results: { name: string; p50: number; p95: number; rows: number }[] = []
    for (const c of CASES) {
      if (c.budget) continue
      const target = `${base}/api/events?${queryOf(c.filter)}`
      const m = await measure(async () => {
        const response = await fetch(target, { headers: { authorization: `Bearer ${TOKEN}` } })
        if (response.status !== 200) throw new Error(`${target}: ${response.status} ${await response.text()}`)
        return ((await response.json()) as { data: unknown[] }).data
      })
      results.push({ name: c.name, p50: m.p50, p95: m.p95, rows: (m.last as unknown[]).length })
    }
    const baseline = results[0]!.p50
    for (const r of results)
      rows.push([r.name, num(r.p50, 2), num(r.p95, 2), num(r.p50 / baseline, 2), String(r.rows)])
    console.log(
      `\n## ${kind}: first page through the HTTP route (limit ${o.limit}), ${o.runs} runs per case\n`,
    )
    console.log(formatTable(rows))
    console.log(`\n${markdownTable(rows)}\n`)
    return results
  } finally {
    await assembly.release()
  }
}

const plainSql = (limit: number) =>
  `SELECT ${SUMMARY_COLUMNS} FROM events e ORDER BY e.seq DESC LIMIT ${limit + 1}`

async function runSqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-events-page-'))
  try {
    const path = join(dir, 'gw.db')
    const migrating = openStore({ url: `sqlite:${path}` })
    await migrating.migrate()
    await migrating.close()
    const loadMs = loadSqliteEvents(path, N, now)
    console.log(`SQLite: ${N.toLocaleString('en-US')} events loaded in ${(loadMs / 1000).toFixed(1)} s`)
    const store = openStore({ url: `sqlite:${path}` })
    const reader = new Database(path, { readonly: true })
    const plain = reader.prepare(plainSql(o.limit))
    let measured: Awaited<ReturnType<typeof measureStore>>
    try {
      measured = await measureStore('sqlite', store, async () => plain.all())
    } finally {
      reader.close()
      await store.close()
    }
    return { ...measured, http: o.http ? await measureHttp('sqlite', `sqlite:${path}`) : null }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function runPostgres() {
  let server: BenchPostgres | undefined
  try {
    server = await startBenchPostgres()
    const url = await server.createDatabase('events_page')
    const migrating = openStore({ url })
    await migrating.migrate()
    await migrating.close()
    const loadMs = await loadPostgresEvents(url, N, now)
    console.log(`PostgreSQL: ${N.toLocaleString('en-US')} events loaded in ${(loadMs / 1000).toFixed(1)} s`)
    const store = openStore({ url })
    const client = new pg.Client({ connectionString: url })
    await client.connect()
    let measured: Awaited<ReturnType<typeof measureStore>>
    try {
      measured = await measureStore(
        'postgres',
        store,
        async () => (await client.query(plainSql(o.limit))).rows,
      )
    } finally {
      await client.end()
      await store.close()
    }
    return { ...measured, http: o.http ? await measureHttp('postgres', url) : null }
  } finally {
    await server?.stop()
  }
}

const startedAt = new Date()
const all = []
for (const kind of o.store) all.push(kind === 'sqlite' ? await runSqlite() : await runPostgres())
if (o.save) {
  await mkdir(resultsDir, { recursive: true })
  const out = join(resultsDir, `events-page-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
  await writeFile(
    out,
    JSON.stringify({ startedAt, events: N, runs: o.runs, machine: machineFacts(), all }, null, 2),
  )
  console.log(`results: ${out}`)
}
