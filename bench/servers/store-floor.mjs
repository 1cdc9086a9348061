// Baseline "store floor": the durable floor with the gateway's own SQLite store in place of its
// one-index table — `createSqliteStore` from dist/ (the events table's 31 columns and 8 indexes,
// WAL checkpoints on their own thread), fed one `insertEvents` call per event-loop turn. The fields
// come straight from the body, without the catalog; no Fastify, no logs, no metrics. Between
// durable-floor and the gateway it splits the gateway's distance into "its schema" and "its
// per-request features". Needs `npm run build`.
// Env: PORT (required), HOST (default 127.0.0.1), BENCH_ED25519_SPKI (SPKI DER, base64),
//      BENCH_DB_PATH (SQLite file; created).
import { createPublicKey, verify } from 'node:crypto'
import { createServer } from 'node:http'
import { newId } from '../../dist/ids.js'
import { createSqliteStore } from '../../dist/store/sqlite/sqlite-store.js'

const spki = process.env.BENCH_ED25519_SPKI
if (!spki) throw new Error('BENCH_ED25519_SPKI (base64 SPKI of the Ed25519 public key) is required')
if (!process.env.BENCH_DB_PATH) throw new Error('BENCH_DB_PATH (the SQLite file to write) is required')
const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' })

const store = createSqliteStore({ path: process.env.BENCH_DB_PATH })
await store.migrate()

const UNAUTHORIZED = Buffer.from('{"error":"invalid_signature"}')
const BAD_JSON = Buffer.from('{"error":"invalid_json"}')
const UNAVAILABLE = Buffer.from('{"error":"storage_unavailable"}')

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length })
  res.end(body)
}

let batch = []
async function commit() {
  const rows = batch
  batch = []
  try {
    const outcomes = await store.insertEvents(rows.map((row) => row.event))
    for (const [i, row] of rows.entries()) reply(row.res, 200, Buffer.from(JSON.stringify(outcomes[i])))
  } catch {
    for (const row of rows) reply(row.res, 503, UNAVAILABLE)
  }
}

function accept(raw, signature, res) {
  let body
  try {
    body = JSON.parse(raw.toString('utf8'))
  } catch {
    return reply(res, 400, BAD_JSON)
  }
  const now = Date.now()
  const webhookId = typeof body.webhookId === 'string' ? body.webhookId : null
  const event = {
    id: newId('evt', now),
    source: 'ghl',
    dedupeKey: webhookId ?? raw.toString('base64').slice(0, 64),
    webhookId,
    receivedAt: now,
    contentType: 'application/json',
    headers: { 'x-ghl-signature': signature.slice(0, 16) },
    rawBody: raw,
    contentHash: 'sha256:-',
    verification: { scheme: 'ghl-ed25519', verified: true, keyId: 'bench' },
    flags: [],
    eventHint: null,
    ghlType: body.type ?? null,
    eventName: body.type ?? null,
    eventType: body.type ?? null,
    entityKind: 'contact',
    entityId: body.id ?? null,
    locationId: body.locationId ?? null,
    companyId: body.companyId ?? null,
    sentAt: body.timestamp ?? null,
    occurredAt: body.dateAdded ?? null,
    bodyFormat: 'flat',
    schemaStatus: 'valid',
    classification: { matchedBy: 'type', family: 'contact', issues: [], notes: [] },
    deliveries: [],
  }
  if (batch.length === 0) setImmediate(commit)
  batch.push({ event, res })
}

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const raw = Buffer.concat(chunks)
    const header = req.headers['x-ghl-signature']
    const signature =
      typeof header === 'string' && header !== 'N/A' ? Buffer.from(header, 'base64') : undefined
    if (!signature) return reply(res, 401, UNAUTHORIZED)
    verify(null, raw, key, signature, (error, ok) =>
      !error && ok ? accept(raw, header, res) : reply(res, 401, UNAUTHORIZED),
    )
  })
})

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () =>
  server.close(() => store.close().finally(() => process.exit(0))).closeAllConnections(),
)
