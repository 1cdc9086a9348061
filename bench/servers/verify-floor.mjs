// Baseline "verify floor": bare-http plus ONE Ed25519 verification per request over the raw body
// bytes, with the public key parsed once at boot. 401 when the signature is missing or invalid.
// No receiver that verifies GHL's signature can beat this; the gateway is measured against it.
// Env: PORT (required), HOST (default 127.0.0.1), BENCH_ED25519_SPKI (SPKI DER, base64),
// BENCH_ED25519_LIB (`node`, the default: crypto.verify; `sodium`: libsodium's check, as the gateway
// verifies — the `floor-sodium` target).
import { createPublicKey, verify } from 'node:crypto'
import { createServer } from 'node:http'
import { createRequire } from 'node:module'

const spki = process.env.BENCH_ED25519_SPKI
if (!spki) throw new Error('BENCH_ED25519_SPKI (base64 SPKI of the Ed25519 public key) is required')
const key = createPublicKey({ key: Buffer.from(spki, 'base64'), format: 'der', type: 'spki' })

const sodium =
  process.env.BENCH_ED25519_LIB === 'sodium' ? createRequire(import.meta.url)('sodium-native') : null
const rawKey = Buffer.from(key.export({ format: 'jwk' }).x, 'base64url')
const check = sodium
  ? (raw, signature) => signature.length === 64 && sodium.crypto_sign_verify_detached(signature, raw, rawKey)
  : (raw, signature) => verify(null, raw, key, signature)

const OK = Buffer.from('{"ok":true}')
const UNAUTHORIZED = Buffer.from('{"error":"invalid_signature"}')

function reply(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length })
  res.end(body)
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
        ok = check(raw, Buffer.from(header, 'base64'))
      } catch {
        ok = false
      }
    }
    reply(res, ok ? 200 : 401, ok ? OK : UNAUTHORIZED)
  })
})

server.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections())
