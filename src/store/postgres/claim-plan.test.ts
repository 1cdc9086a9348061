import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freshPostgresDatabase } from '../../../test/support/databases.js'
import { openStore } from '../open-store.js'
import { claimSql } from './claim-deliveries.js'

/**
 * The claim must update the rows it picked by index, whatever the table statistics say. The
 * planner cannot know how many rows `LIMIT s.slots` yields; once ANALYZE had seen a big open
 * backlog it hash-joined the UPDATE over a sequential scan of all deliveries (350 ms per claim at
 * 1M; the 1M-event backlog benchmark dropped from ~5,000 to ~100 deliveries/s after autoanalyze).
 */
describe('PostgreSQL claim plan on an analysed backlog', () => {
  const N = 60_000
  let database: Awaited<ReturnType<typeof freshPostgresDatabase>>
  let client: pg.Client

  beforeAll(async () => {
    database = await freshPostgresDatabase()
    const store = openStore({ url: database.url })
    await store.migrate()
    await store.close()
    client = new pg.Client({ connectionString: database.url })
    await client.connect()
    // N events, each with one pending delivery: the open set is the whole table, as in a backlog.
    await client.query(`
      INSERT INTO events (id, source, dedupe_key, webhook_id, received_at, content_type, headers, raw_body,
        body_bytes, content_hash, verified, verification)
      SELECT 'evt_' || lpad(g::text, 26, '0'), 'ghl', 'wh_' || g, 'wh_' || g, now() - interval '1 hour',
        'application/json', '{}'::jsonb, convert_to('{}', 'UTF8'), 2, 'sha256:x', true, '{}'::jsonb
      FROM generate_series(1, ${N}) g;
      INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, run_at, cycle_started_at,
        created_at, updated_at)
      SELECT 'dlv_' || lpad(e.seq::text, 26, '0'), e.id, e.seq, 'crm', 'pending', e.received_at,
        e.received_at, e.received_at, e.received_at
      FROM events e;
      ANALYZE events; ANALYZE deliveries;`)
  }, 60_000)

  afterAll(async () => {
    await client?.end()
    await database?.drop()
  })

  const plan = async (sql: string) => {
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, [
      ['crm'],
      [32],
      new Date(),
      'worker-1',
      new Date(Date.now() + 60_000),
    ])
    return rows.map((r) => r['QUERY PLAN']).join('\n')
  }

  // `deliveries d` is the UPDATE's side of the join; `d_1` the picking subquery's.
  it('updates the picked deliveries through the id index, not a hash join over the table', async () => {
    const text = await plan(claimSql(32))
    expect(text).toMatch(/Index Scan using deliveries_id_key on deliveries d\s/)
    expect(text).not.toMatch(/Hash Join/)
    expect(text).not.toMatch(/Seq Scan on deliveries d\s/)
  })

  it('(without the constant LIMIT the UPDATE hash-joins over the whole table: what this test guards)', async () => {
    const uncapped = claimSql(32).replace(/\n\s*LIMIT 32\n/, '\n')
    expect(uncapped).not.toMatch(/LIMIT 32\b/)
    const text = await plan(uncapped)
    expect(text).toMatch(/Hash Join/)
    expect(text).toMatch(/Seq Scan on deliveries d\s/)
  })
})
