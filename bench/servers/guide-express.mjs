// Baseline "guide": the receiver GHL's Webhook Integration Guide shows every integrator, written by
// us from REFERENCE (g). Kept deliberately faithful, including its weaknesses:
//   - express.json() parses the body before verification;
//   - the signature is checked over JSON.stringify(req.body) (re-serialized, not the raw bytes) with
//     crypto.createVerify('SHA256') and the public key as a PEM *string*, parsed on every request;
//   - duplicates are remembered in an in-memory Set (lost on restart, grows without bound);
//   - processing runs in setImmediate after the 200, so a crash after the ack loses the event.
// It checks the legacy RSA x-wh-signature (GHL's key is RSA-4096; we use a test RSA-4096 key).
// Env: PORT (required), HOST (default 127.0.0.1), BENCH_RSA_PEM_PATH (RSA public key, PEM).
import crypto from 'node:crypto'
import { readFileSync } from 'node:fs'
import express from 'express'

const pemPath = process.env.BENCH_RSA_PEM_PATH
if (!pemPath) throw new Error('BENCH_RSA_PEM_PATH (RSA public key PEM file) is required')
// The guide pastes the PEM into the source as a string constant; reading it once is equivalent.
const publicKey = readFileSync(pemPath, 'utf8')

const app = express()
app.use(express.json())

const processedWebhooks = new Set()

function verifySignature(payload, signature) {
  try {
    const verifier = crypto.createVerify('SHA256')
    verifier.update(payload)
    return verifier.verify(publicKey, signature, 'base64')
  } catch {
    return false
  }
}

function handleContactCreate(data) {
  return data.id
}

function processWebhook(body) {
  switch (body.type) {
    case 'ContactCreate':
      handleContactCreate(body)
      break
    default:
      break
  }
}

app.post('/webhook', (req, res) => {
  const signature = req.headers['x-wh-signature']
  const payload = JSON.stringify(req.body)
  if (!signature || !verifySignature(payload, signature)) {
    return res.status(401).json({ error: 'Invalid signature' })
  }

  const { webhookId } = req.body
  if (processedWebhooks.has(webhookId)) {
    return res.status(200).json({ message: 'Webhook already processed' })
  }
  processedWebhooks.add(webhookId)

  res.status(200).json({ message: 'Webhook received' })
  setImmediate(() => {
    try {
      processWebhook(req.body)
    } catch (err) {
      console.error('Error processing webhook:', err)
    }
  })
})

const server = app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1')
process.on('SIGTERM', () => server.close(() => process.exit(0)).closeAllConnections())
