// Baseline for the end-to-end benchmark: the verify floor (node:http, one Ed25519 verify over the
// raw body, 401 if invalid) that — like GHL's integration guide — answers 200 first and then hands
// the event on in memory with setImmediate. Nothing is stored: a crash loses whatever is in memory.
// It is the latency floor of "ack, then process"; the gateway adds durability on top (the commit
// before the ack, a claim and a completion in the database after it).
//
// Env: PORT (required), HOST (default 127.0.0.1), BENCH_ED25519_SPKI (SPKI DER, base64), and
//   BENCH_MODE=handler   the "handler" notes when it started (by the body's webhookId); or
//   BENCH_MODE=forward   POSTs the body to BENCH_DEST_URL with `webhook-id: <webhookId>` over a
//                        keep-alive agent with 10 sockets (a destination's default concurrency).
// IPC: the same protocol as handler-gateway.mjs ({type:'clock'}, {type:'count'}, {type:'dump'}).
import { createPublicKey, verify } from 'node:crypto'
import { Agent, createServer, request } from 'node:http'

const spki = process.env.BENCH_ED25519_SPKI
if (!spki) throw new Error('BENCH_ED25519_SPKI (base64 SPKI of the Ed25519 public key) is required')
const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' })
const mode = process.env.BENCH_MODE ?? 'handler'
const dest = mode === 'forward' ? new URL(process.env.BENCH_DEST_URL ?? '') : undefined
const agent = new Agent({ keepAlive: true, maxSockets: 10 })

const OK = Buffer.from('{"ok":true}')
const UNAUTHORIZED = Buffer.from('{"error":"invalid_signature"}')
const starts = []
let count = 0

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length })
  res.end(body)
}

function forward(raw, webhookId) {
  const req = request({
    host: dest.hostname,
    port: dest.port,
    path: dest.pathname,
    method: 'POST',
    agent,
    headers: { 'content-type': 'application/json', 'content-length': raw.length, 'webhook-id': webhookId },
  })
  req.on('response', (res) => res.resume())
  req.on('error', () => {}) // no retries: this baseline loses what fails
  req.end(raw)
}

const server = createServer((req, res) => {
  const chunks = []
  req.on('data', (chunk) => chunks.push(chunk))
  req.on('end', () => {
    const raw = Buffer.concat(chunks)
    const header = req.headers['x-ghl-signature']
    let ok = false
    if (typeof header === 'string' && header !== 'N/A') {
      try {
        ok = verify(null, raw, key, Buffer.from(header, 'base64'))
      } catch {
        ok = false
      }
    }
    reply(res, ok ? 200 : 401, ok ? OK : UNAUTHORIZED)
    if (!ok) return
    setImmediate(() => {
      const { webhookId } = JSON.parse(raw.toString('utf8'))
      count++
      if (mode === 'forward') forward(raw, webhookId)
      else starts.push(webhookId, performance.timeOrigin + performance.now())
    })
  })
})

process.on('message', (message) => {
  if (message?.type === 'clock') {
    process.send({ type: 'clock', id: message.id, at: performance.timeOrigin + performance.now() })
  } else if (message?.type === 'count') {
    process.send({ type: 'count', count })
  } else if (message?.type === 'dump') {
    process.send({ type: 'dump', count, starts })
  }
})
server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
const shutdown = () => server.close(() => process.exit(0)).closeAllConnections()
process.on('SIGTERM', shutdown)
process.on('disconnect', shutdown) // the benchmark crashed: do not linger
