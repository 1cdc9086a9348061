/**
 * The GHL token reads of re-auth visibility and the aged-refresh pass, at `--rows` tokens (default
 * 100,000 installed locations: 1 % needs_reauth, 1 % revoked, refreshed over the last 300 days): the
 * store time of `countGhlTokensByStatus` (the gauge, doctor), `countGhlTokens(needs_reauth)` and a
 * first page of `listGhlTokens(needs_reauth)` (the console), and `agedGhlTokens` (the hourly look, nothing old enough). Prints
 * each statement's plan. Both stores.
 *
 *   npx tsx bench/ghl-tokens.ts [--rows 100000] [--store sqlite,postgres] [--runs 20]
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { openStore } from '../src/store/open-store.js'
import type { Store } from '../src/store/types.js'
import { benchCommand, int, listOption, oneOf } from './lib/args.js'
import { startBenchPostgres } from './lib/postgres.js'
import { formatTable, num, percentiles } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand('ghl-tokens.ts', 'GHL token status reads at 100,000 tokens.')
  .option('--rows <n>', 'tokens to load', int(100, 2_000_000), 100_000)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--runs <n>', 'measured runs per case (after 3 warm-up runs)', int(3, 1000), 20)
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ rows: number; store: StoreKind[]; runs: number }>()

const DAY = 86_400_000
const NOW = Date.now()
const statusOf = (i: number) => (i % 100 === 0 ? 'needs_reauth' : i % 100 === 1 ? 'revoked' : 'active')

const COUNT = 'SELECT status, count(*) AS n FROM ghl_tokens GROUP BY status'
const LIST = `SELECT app_id, user_type, owner_id FROM ghl_tokens WHERE status = 'needs_reauth' ORDER BY app_id, user_type, owner_id LIMIT 26`
const AGED = (cut: string) =>
  `SELECT app_id, user_type, owner_id FROM ghl_tokens WHERE status = 'active' AND refresh_token IS NOT NULL AND refreshed_at < ${cut} ORDER BY refreshed_at LIMIT 50`

async function time(runs: number, fn: () => Promise<unknown>): Promise<string> {
  for (let i = 0; i < 3; i++) await fn()
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const start = performance.now()
    await fn()
    ms.push(performance.now() - start)
  }
  const p = percentiles(ms)
  return `${num(p.p50, 2)} / ${num(p.p90, 2)}`
}

async function measure(kind: StoreKind, store: Store, plans: string[]): Promise<string[]> {
  const cut = NOW - 300 * DAY
  return [
    kind,
    await time(o.runs, () => store.countGhlTokensByStatus()),
    await time(o.runs, () => store.countGhlTokens('needs_reauth', 10_001)),
    await time(o.runs, () => store.listGhlTokens({ status: 'needs_reauth', limit: 25 })),
    await time(o.runs, () => store.agedGhlTokens(cut, 50)),
    plans.join(' | '),
  ]
}

const rows: string[][] = [
  ['store', 'count by status ms p50/p90', 'count needs_reauth', 'needs_reauth page', 'aged look', 'plans'],
]
for (const kind of o.store) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-bench-tokens-'))
    const url = `sqlite:${join(dir, 'tokens.db')}`
    const store = openStore({ url })
    await store.migrate()
    await store.close()
    const db = new Database(join(dir, 'tokens.db'))
    const insert = db.prepare(
      `INSERT INTO ghl_tokens (app_id, user_type, owner_id, key_id, access_token, refresh_token, expires_at, scopes, status, version, refreshed_at, created_at, updated_at)
       VALUES ('app_1', 'Location', ?, 'key_1', ?, ?, ?, '', ?, 1, ?, ?, ?)`,
    )
    const blob = Buffer.alloc(60, 1)
    db.transaction(() => {
      for (let i = 0; i < o.rows; i++) {
        const at = NOW - (i % 300) * DAY
        insert.run(`loc_${String(i).padStart(8, '0')}`, blob, blob, NOW + DAY, statusOf(i), at, at, at)
      }
    })()
    db.exec('ANALYZE')
    const plans = [COUNT, LIST, AGED(String(NOW - 300 * DAY))].map((q) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${q}`).all() as { detail: string }[]).map((r) => r.detail).join('; '),
    )
    db.close()
    const opened = openStore({ url })
    rows.push(await measure(kind, opened, plans))
    await opened.close()
    rmSync(dir, { recursive: true, force: true })
  } else {
    const server = await startBenchPostgres()
    try {
      const url = await server.createDatabase('ghl_tokens_bench')
      const store = openStore({ url, poolSize: 2 })
      await store.migrate()
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      await client.query(
        `INSERT INTO ghl_tokens (app_id, user_type, owner_id, key_id, access_token, refresh_token, expires_at, scopes, status, version, refreshed_at, created_at, updated_at)
         SELECT 'app_1', 'Location', 'loc_' || lpad(i::text, 8, '0'), 'key_1', '\\x01', '\\x01', now() + interval '1 day', '',
           CASE i % 100 WHEN 0 THEN 'needs_reauth' WHEN 1 THEN 'revoked' ELSE 'active' END, 1,
           now() - (i % 300) * interval '1 day', now(), now()
         FROM generate_series(0, $1::int - 1) i`,
        [o.rows],
      )
      await client.query('VACUUM ANALYZE ghl_tokens')
      const plans: string[] = []
      for (const q of [COUNT, LIST, AGED(`now() - interval '300 days'`)]) {
        const plan = await client.query(`EXPLAIN ${q}`)
        plans.push(plan.rows.map((r) => String(r['QUERY PLAN']).trim()).join('; '))
      }
      await client.end()
      rows.push(await measure(kind, store, plans))
      await store.close()
    } finally {
      await server.stop()
    }
  }
}
console.log(`GHL tokens: ${num(o.rows)} rows, ${o.runs} runs per case (ms p50 / p90)\n`)
console.log(formatTable(rows))
