import Database from 'better-sqlite3'
import pg from 'pg'

/**
 * N stored events and their deliveries, generated in SQL (as bench/explain.ts does), for the event
 * list benchmark (events-page.ts): ContactCreate-shaped bodies of ~560 bytes with a unique email,
 * name and webhookId each, 200 locations, 50,000 contacts, every 500th drifted, received over the
 * 60 days before `now`. One delivery per event except every 53rd (1.9 % `none`): every 211th dead
 * (`failed`, 0.47 %), every 1009th discarded (0.1 %), the newest 1 % open (`pending`), the rest
 * succeeded (`delivered`) — moduli prime to the 200 locations, so every location has each kind.
 * Event i has id `evt_<i, 26 digits>`, webhookId `wh_<i>`, delivery `dlv_<i, 26 digits>`.
 */

export const SPAN_MS = 60 * 86_400_000
const TYPES = ['ContactCreate', 'ContactUpdate', 'OpportunityCreate', 'OpportunityStageUpdate']
const CANONICAL = ['contact.created', 'contact.updated', 'opportunity.created', 'opportunity.stage_changed']

/** One body per row, built from `n` (SQL text shared by both stores; `||` concatenates in both). */
const bodySql = (n: string, type: string) =>
  `'{"type":"' || ${type} || '","locationId":"loc_' || (${n} % 200) ||
  '","id":"c_' || (${n} % 50000) || '","webhookId":"wh_' || ${n} || '","email":"user' || ${n} ||
  '@example.com","firstName":"Name' || ${n} || '","lastName":"Smith","phone":"+1555' || (${n} % 10000000) ||
  '","tags":["lead","website","newsletter"],"source":"form 7","dateAdded":"2026-11-23T10:00:00.000Z",` +
  `"customFields":[{"id":"cf_budget","value":"between 1000 and 5000"},{"id":"cf_notes","value":"called twice, ` +
  `prefers email, follow up next week about the proposal and the contract"}],"address1":"1 Main Street",` +
  `"city":"Springfield","state":"IL","postalCode":"62701","country":"US","timezone":"America/Chicago"}'`

/** Delivery state from the event's seq (moduli prime to the 200 locations): see the header. NULL = no delivery. */
const stateSql = (
  seq: string,
  N: number,
) => `CASE WHEN ${seq} % 53 = 7 THEN NULL WHEN ${seq} % 211 = 0 THEN 'dead'
  WHEN ${seq} % 1009 = 3 THEN 'discarded' WHEN ${seq} > ${N} * 0.99 THEN 'pending' ELSE 'succeeded' END`

export function loadSqliteEvents(path: string, N: number, now: number): number {
  const db = new Database(path)
  const started = performance.now()
  const pick = (list: string[]) => `CASE n % 4 ${list.map((t, i) => `WHEN ${i} THEN '${t}'`).join(' ')} END`
  db.exec(`WITH RECURSIVE g(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM g WHERE n < ${N})
    INSERT INTO events (id, source, dedupe_key, webhook_id, received_at, content_type, headers, raw_body, body_bytes,
      content_hash, verified, verification, ghl_type, event_name, event_type, entity_kind, entity_id, location_id,
      body_format, schema_status)
    SELECT 'evt_' || printf('%026d', n), 'ghl', 'wh_' || n, 'wh_' || n, ${now} - (${N} - n) * (${SPAN_MS} / ${N}),
      'application/json', '{}', CAST(${bodySql('n', pick(TYPES))} AS BLOB), 560, 'sha256:x', 1, '{}',
      ${pick(TYPES)}, ${pick(TYPES)}, ${pick(CANONICAL)}, 'contact', 'c_' || (n % 50000), 'loc_' || (n % 200), 'flat',
      CASE WHEN n % 500 = 0 THEN 'drift' ELSE 'valid' END FROM g;
    INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at, cycle_started_at,
      created_at, updated_at, attempts, total_attempts)
    SELECT 'dlv_' || printf('%026d', seq), id, seq, 'crm', ${stateSql('seq', N)},
      'crm|' || location_id || '|contact:' || entity_id, received_at, received_at, received_at, received_at, 1, 1
    FROM events WHERE ${stateSql('seq', N)} IS NOT NULL;
    ANALYZE;`)
  db.close()
  return performance.now() - started
}

export async function loadPostgresEvents(url: string, N: number, now: number): Promise<number> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  const started = performance.now()
  const pick = (list: string[]) => `(ARRAY[${list.map((t) => `'${t}'`).join(',')}])[1 + g % 4]`
  try {
    await client.query(`INSERT INTO events (id, source, dedupe_key, webhook_id, received_at, content_type, headers,
      raw_body, body_bytes, content_hash, verified, verification, ghl_type, event_name, event_type, entity_kind,
      entity_id, location_id, body_format, schema_status)
    SELECT 'evt_' || lpad(g::text, 26, '0'), 'ghl', 'wh_' || g, 'wh_' || g,
      to_timestamp((${now} - (${N} - g) * (${SPAN_MS}::bigint / ${N})) / 1000.0), 'application/json', '{}'::jsonb,
      convert_to(${bodySql('g', pick(TYPES))}, 'UTF8'), 560, 'sha256:x', true, '{}'::jsonb,
      ${pick(TYPES)}, ${pick(TYPES)}, ${pick(CANONICAL)}, 'contact', 'c_' || (g % 50000), 'loc_' || (g % 200), 'flat',
      CASE WHEN g % 500 = 0 THEN 'drift' ELSE 'valid' END
    FROM generate_series(1, ${N}) g`)
    await client.query(`INSERT INTO deliveries (id, event_id, event_seq, subscriber_id, state, ordering_key, run_at,
      cycle_started_at, created_at, updated_at, attempts, total_attempts)
    SELECT 'dlv_' || lpad(e.seq::text, 26, '0'), e.id, e.seq, 'crm', ${stateSql('e.seq', N)},
      'crm|' || e.location_id || '|contact:' || e.entity_id, e.received_at, e.received_at, e.received_at,
      e.received_at, 1, 1
    FROM events e WHERE ${stateSql('e.seq', N)} IS NOT NULL`)
    await client.query('VACUUM ANALYZE events')
    await client.query('VACUUM ANALYZE deliveries')
  } finally {
    await client.end()
  }
  return performance.now() - started
}
