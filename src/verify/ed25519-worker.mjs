// The verification thread (see ed25519-thread.ts): checks the Ed25519 signatures of a batch of
// requests and answers in chunks, so the event loop can store and answer the first requests of a
// batch while the thread is still checking the rest. Plain JavaScript, copied to dist/ as it is.
import { parentPort } from 'node:worker_threads'
import { verifyEd25519 } from './ed25519-check.mjs'

const SIGNATURE_BYTES = 64
const PUBLIC_KEY_BYTES = 32
// Answers per message. One message per request costs the event loop a wake-up each; one per batch
// holds the first answers back until the last signature is checked. 4 measured best of 1, 4 and 16.
const CHUNK = 4

/**
 * A batch: `data` holds, per request, its body, its 64-byte signature and the 32-byte keys to try
 * in order; `meta` holds per request [offset in data, body length, key count].
 * The answer per request: the index of the first key that verifies, or -1.
 */
parentPort.on('message', ({ batch, data, meta }) => {
  const bytes = new Uint8Array(data)
  const items = meta.length / 3
  let from = 0
  let matches = new Int16Array(Math.min(CHUNK, items))
  for (let i = 0; i < items; i++) {
    const offset = meta[i * 3]
    const bodyLength = meta[i * 3 + 1]
    const keyCount = meta[i * 3 + 2]
    const body = bytes.subarray(offset, offset + bodyLength)
    const signature = bytes.subarray(offset + bodyLength, offset + bodyLength + SIGNATURE_BYTES)
    let match = -1
    for (let k = 0; k < keyCount && match === -1; k++) {
      const start = offset + bodyLength + SIGNATURE_BYTES + k * PUBLIC_KEY_BYTES
      if (verifyEd25519(body, signature, bytes.subarray(start, start + PUBLIC_KEY_BYTES))) match = k
    }
    matches[i - from] = match
    if (i - from + 1 === matches.length) {
      parentPort.postMessage({ batch, from, matches }, [matches.buffer])
      from = i + 1
      matches = new Int16Array(Math.min(CHUNK, items - from))
    }
  }
})
