// Baseline "durable floor": the verify floor plus the least a store-before-ack receiver must do —
// verify on the thread pool (as the gateway does), JSON.parse the body for its webhookId, insert
// (dedupe key, received time, raw bytes) into a SQLite WAL file with a unique index on the dedupe
// key, one transaction per event-loop turn (group commit), and answer 200 only after the commit.
// No classification, no other columns or indexes, no logs or metrics, no framework: it says what
// durability alone costs on this machine, so the gateway's distance from the verify floor splits
// into "durable at all" and "everything else the gateway does".
// Env: PORT (required), HOST (default 127.0.0.1), BENCH_ED25519_SPKI (SPKI DER, base64),
//      BENCH_DB_PATH (SQLite file; created).
import { createPublicKey, verify } from 'node:crypto'
import { createServer } from 'node:http'
import Database from 'better-sqlite3'

const spki = process.env.BENCH_ED25519_SPKI
if (!spki) throw new Error('BENCH_ED25519_SPKI (base64 SPKI of the Ed25519 public key) is required')
if (!process.env.BENCH_DB_PATH) throw new Error('BENCH_DB_PATH (the SQLite file to write) is required')
const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' })

const db = new Database(process.env.BENCH_DB_PATH)
db.pragma('journal_mode = WAL')
db.pragma('synchronous = NORMAL') // the gateway's default (DURABILITY=process)
db.exec(`CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, received_at INTEGER NOT NULL, raw_body BLOB NOT NULL)`)
const insert = db.prepare(
  'INSERT INTO events (dedupe_key, received_at, raw_body) VALUES (?, ?, ?) ON CONFLICT (dedupe_key) DO NOTHING',
)
const insertAll = db.transaction((rows) => {
  for (const row of rows) insert.run(row.key, row.at, row.raw)
})

const OK = Buffer.from('{"status":"accepted"}')
const UNAUTHORIZED = Buffer.from('{"error":"invalid_signature"}')
const BAD_JSON = Buffer.from('{"error":"invalid_json"}')
const UNAVAILABLE = Buffer.from('{"error":"storage_unavailable"}')

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length })
  res.end(body)
}

let batch = []
function commit() {
  const rows = batch
  batch = []
  let ok = true
  try {
    insertAll(rows)
  } catch {
    ok = false
  }
  for (const row of rows) reply(row.res, ok ? 200 : 503, ok ? OK : UNAVAILABLE)
}

function accept(raw, res) {
  let webhookId
  try {
    webhookId = JSON.parse(raw.toString('utf8')).webhookId
  } catch {
    return reply(res, 400, BAD_JSON)
  }
  if (batch.length === 0) setImmediate(commit)
  batch.push({ key: String(webhookId), at: Date.now(), raw, res })
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
      !error && ok ? accept(raw, res) : reply(res, 401, UNAUTHORIZED),
    )
  })
})

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections())
