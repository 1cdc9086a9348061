/**
 * Query plans on a big table: loads N events (default 1,000,000) with one delivery each into an
 * embedded PostgreSQL (and a SQLite file), then prints EXPLAIN for the statements that must stay
 * fast at that size: the claim, the API filters, the dead-letter listing, the backlog count and the
 * retention delete. Run: `npx tsx bench/explain.ts [--events 1000000] [--store postgres|sqlite|both]`.
 *
 * Rows are generated in SQL (generate_series / recursive CTE), not through the gateway: this is
 * about plans and index use, not ingest speed (see bench/ingest.ts for that).
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { Option } from 'commander'
import pg from 'pg'
import { openStore } from '../src/store/open-store.js'
import { claimSql } from '../src/store/postgres/claim-deliveries.js'
import { benchCommand, int } from './lib/args.js'
import { startBenchPostgres } from './lib/postgres.js'

const o = benchCommand(
  'explain.ts',
  'Query plans on a big table: EXPLAIN for the statements that must stay fast.',
)
  .option('--events <n>', 'events (one delivery each) to load', int(1000, 100_000_000), 1_000_000)
  .addOption(
    new Option('--store <s>', 'which store').choices(['postgres', 'sqlite', 'both'] as const).default('both'),
  )
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ events: number; store: 'postgres' | 'sqlite' | 'both' }>()
const N = o.events
const now = Date.now()

/** The statements under test, in PostgreSQL syntax ($n parameters filled with literals). */
const QUERIES: { name: string; postgres: string; sqlite: string }[] = [
  {
    name: 'claim (one subscriber, ordered heads, oldest due first)',
    postgres: `SELECT d.id FROM deliveries d WHERE d.subscriber_id = 'crm' AND d.state IN ('pending','leased','retry_scheduled')
      AND d.run_at <= now() AND (d.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries h
      WHERE h.ordering_key = d.ordering_key AND h.event_seq < d.event_seq AND h.state IN ('pending','leased','retry_scheduled')))
      ORDER BY d.run_at, d.seq LIMIT 32 FOR UPDATE SKIP LOCKED`,
    sqlite: `SELECT d.id FROM deliveries d WHERE d.subscriber_id = 'crm' AND d.state IN ('pending','leased','retry_scheduled')
      AND d.run_at <= ${now} AND (d.ordering_key IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries h
      WHERE h.ordering_key = d.ordering_key AND h.event_seq < d.event_seq AND h.state IN ('pending','leased','retry_scheduled')))
      ORDER BY d.run_at, d.seq LIMIT 32`,
  },
  {
    name: 'API: events of one location, newest first',
    postgres: `SELECT id FROM events WHERE location_id = 'loc_7' ORDER BY seq DESC LIMIT 51`,
    sqlite: `SELECT id FROM events WHERE location_id = 'loc_7' ORDER BY seq DESC LIMIT 51`,
  },
  {
    name: 'API: events of one canonical type, newest first',
    postgres: `SELECT id FROM events WHERE event_type IN ('contact.created') ORDER BY seq DESC LIMIT 51`,
    sqlite: `SELECT id FROM events WHERE event_type IN ('contact.created') ORDER BY seq DESC LIMIT 51`,
  },
  {
    name: 'API: events of one entity',
    postgres: `SELECT id FROM events WHERE entity_id = 'c_4242' ORDER BY seq DESC LIMIT 51`,
    sqlite: `SELECT id FROM events WHERE entity_id = 'c_4242' ORDER BY seq DESC LIMIT 51`,
  },
  {
    name: 'API: one webhookId',
    postgres: `SELECT id FROM events WHERE dedupe_key = 'wh_4242' AND webhook_id = 'wh_4242' ORDER BY seq DESC LIMIT 51`,
    sqlite: `SELECT id FROM events WHERE dedupe_key = 'wh_4242' AND webhook_id = 'wh_4242' ORDER BY seq DESC LIMIT 51`,
  },
  {
    name: 'API: time window (since/until)',
    postgres: `SELECT id FROM events WHERE received_at >= now() - interval '1 hour' ORDER BY seq DESC LIMIT 51`,
    sqlite: `SELECT id FROM events WHERE received_at >= ${now - 3_600_000} ORDER BY seq DESC LIMIT 51`,
  },
  {
    name: 'dead-letter queue, newest first',
    postgres: `SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.state = 'dead' ORDER BY d.seq DESC LIMIT 51`,
    sqlite: `SELECT d.id FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.state = 'dead' ORDER BY d.seq DESC LIMIT 51`,
  },
  {
    name: 'backlog count (back-pressure, every second)',
    postgres: `SELECT count(*) FROM deliveries WHERE state IN ('pending','leased','retry_scheduled')`,
    sqlite: `SELECT count(*) FROM deliveries WHERE state IN ('pending','leased','retry_scheduled')`,
  },
  {
    name: 'retention: the next 1,000 prunable events',
    postgres: `SELECT e.seq FROM events e WHERE e.received_at < now() - interval '30 days' AND NOT EXISTS (
      SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state NOT IN ('succeeded','discarded'))
      ORDER BY e.received_at LIMIT 1000`,
    sqlite: `SELECT e.seq FROM events e WHERE e.received_at < ${now - 30 * 86_400_000} AND NOT EXISTS (
      SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.state NOT IN ('succeeded','discarded'))
      ORDER BY e.received_at LIMIT 1000`,
  },
]

/** N events over the last 60 days; 1 % of deliveries open, 0.5 % dead, the rest succeeded. */
const LOAD_POSTGRES = `
INSERT INTO events (id, source, dedupe_key, webhook_id, received_at, content_type, headers, raw_body, body_bytes,
  content_hash, verified, verification, ghl_type, event_name, event_type, entity_kind, entity_id, location_id,
  body_format, schema_status)
SELECT 'evt_' || lpad(g::text, 26, '0'), 'ghl', 'wh_' || g, 'wh_' || g,
  now() - ((${N} - g) * (interval '60 days' / ${N})), 'application/json', '{}'::jsonb,
  convert_to(repeat('x', 500), 'UTF8'), 500, 'sha256:x', true, '{}'::jsonb,
  (ARRAY['ContactCreate','ContactUpdate','OpportunityCreate','OpportunityStageUpdate'])[1 + g % 4],
  (ARRAY['ContactCreate','ContactUpdate','OpportunityCreate','OpportunityStageUpdate'])[1 + g % 4],
  (ARRAY['contact.created','contact.updated','opportunity.created','opportunity.stage_changed'])[1 + g % 4],
  'contact', 'c_' || (g % 50000), 'loc_' || (g % 200), 'flat', 'valid'
FROM generate_series(1, ${N}) g;
INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at, cycle_started_at,
  created_at, updated_at, attempts, total_attempts)
SELECT 'dlv_' || lpad(e.seq::text, 26, '0'), e.id, e.seq, 'crm',
  CASE WHEN e.seq % 200 = 0 THEN 'dead' WHEN e.seq > ${N} * 0.99 THEN 'pending' ELSE 'succeeded' END,
  'crm|' || e.location_id || '|contact:' || e.entity_id, e.received_at, e.received_at, e.received_at, e.received_at, 1, 1
FROM events e;
ANALYZE events; ANALYZE deliveries;`

async function postgres() {
  const server = await startBenchPostgres()
  const db = { url: await server.createDatabase('explain') }
  try {
    const store = openStore({ url: db.url })
    await store.migrate()
    await store.close()
    const client = new pg.Client({ connectionString: db.url })
    await client.connect()
    let t = performance.now()
    await client.query(LOAD_POSTGRES)
    console.log(
      `\n## PostgreSQL: ${N.toLocaleString('en-US')} events + deliveries loaded in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    )
    for (const q of QUERIES) {
      const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${q.postgres}`)
      t = performance.now()
      console.log(`### ${q.name}\n\`\`\`\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\``)
    }
    // The claim as the worker runs it: the whole statement (pick, lease, return), rolled back.
    await client.query('BEGIN')
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) ${claimSql(32)}`, [
      ['crm'],
      [32],
      new Date(),
      'explain',
      new Date(Date.now() + 60_000),
    ])
    await client.query('ROLLBACK')
    console.log(
      `### claim, the whole statement (src/store/postgres claimSql)\n\`\`\`\n${rows.map((r) => r['QUERY PLAN']).join('\n')}\n\`\`\``,
    )
    await client.end()
  } finally {
    await server.stop()
  }
}

function sqlite() {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-explain-'))
  try {
    const path = join(dir, 'gw.db')
    const store = openStore({ url: `sqlite:${path}` })
    void store.migrate().then(() => store.close())
    const db = new Database(path)
    let t = performance.now()
    db.exec(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${N})
      INSERT INTO events (id, source, dedupe_key, webhook_id, received_at, content_type, headers, raw_body, body_bytes,
        content_hash, verified, verification, ghl_type, event_name, event_type, entity_kind, entity_id, location_id,
        body_format, schema_status)
      SELECT 'evt_' || printf('%026d', n), 'ghl', 'wh_' || n, 'wh_' || n, ${now} - (${N} - n) * (5184000000 / ${N}),
        'application/json', '{}', zeroblob(500), 500, 'sha256:x', 1, '{}',
        CASE n % 4 WHEN 0 THEN 'ContactCreate' WHEN 1 THEN 'ContactUpdate' WHEN 2 THEN 'OpportunityCreate' ELSE 'OpportunityStageUpdate' END,
        CASE n % 4 WHEN 0 THEN 'ContactCreate' WHEN 1 THEN 'ContactUpdate' WHEN 2 THEN 'OpportunityCreate' ELSE 'OpportunityStageUpdate' END,
        CASE n % 4 WHEN 0 THEN 'contact.created' WHEN 1 THEN 'contact.updated' WHEN 2 THEN 'opportunity.created' ELSE 'opportunity.stage_changed' END,
        'contact', 'c_' || (n % 50000), 'loc_' || (n % 200), 'flat', 'valid' FROM g;
      INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at, cycle_started_at,
        created_at, updated_at, attempts, total_attempts)
      SELECT 'dlv_' || printf('%026d', seq), id, seq, 'crm',
        CASE WHEN seq % 200 = 0 THEN 'dead' WHEN seq > ${N} * 0.99 THEN 'pending' ELSE 'succeeded' END,
        'crm|' || location_id || '|contact:' || entity_id, received_at, received_at, received_at, received_at, 1, 1
      FROM events;
      ANALYZE;`)
    console.log(
      `\n## SQLite: ${N.toLocaleString('en-US')} events + deliveries loaded in ${((performance.now() - t) / 1000).toFixed(1)} s\n`,
    )
    for (const q of QUERIES) {
      const plan = db.prepare(`EXPLAIN QUERY PLAN ${q.sqlite}`).all() as { detail: string }[]
      t = performance.now()
      const count = db.prepare(q.sqlite).all().length
      const ms = performance.now() - t
      console.log(
        `### ${q.name}\n\`\`\`\n${plan.map((p) => p.detail).join('\n')}\n-- ${count} rows in ${ms.toFixed(2)} ms\n\`\`\``,
      )
    }
    db.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

if (o.store !== 'sqlite') await postgres()
if (o.store !== 'postgres') sqlite()
