import { randomFillSync } from 'node:crypto'

/**
 * Prefixed, time-sortable identifiers: `evt_01JD3…`. The body is a ULID (48-bit millisecond time +
 * 80 random bits, Crockford base32, 26 chars), so ids sort by creation time as strings.
 *
 * Within one process ids are strictly increasing, also within the same millisecond (the random part
 * is incremented), so the receive order of events is the sort order of their ids. Across processes
 * the order is by millisecond only; code that needs a total order uses the store's sequence.
 */
export type IdPrefix = 'evt' | 'dlv' | 'att' | 'req' | 'rpl' | 'dst' | 'job'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
const POOL_SIZE = 10 * 1024

let pool = Buffer.allocUnsafe(POOL_SIZE)
let poolOffset = POOL_SIZE

let lastTime = -1
const lastRandom = new Uint8Array(10)

function fillRandom(target: Uint8Array): void {
  if (poolOffset + target.length > POOL_SIZE) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE))
    poolOffset = 0
  }
  pool.copy(target, 0, poolOffset, poolOffset + target.length)
  poolOffset += target.length
}

/** Adds one to the 80-bit big-endian random part; false on overflow (2^80 ids in one ms). */
function increment(bytes: Uint8Array): boolean {
  for (let i = bytes.length - 1; i >= 0; i--) {
    const next = (bytes[i]! + 1) & 0xff
    bytes[i] = next
    if (next !== 0) return true
  }
  return false
}

function encodeTime(ms: number): string {
  let out = ''
  let t = ms
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out
    t = Math.floor(t / 32)
  }
  return out
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits → 16 base32 chars, 5 bits at a time.
  let out = ''
  let buffer = 0
  let bits = 0
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte
    bits += 8
    while (bits >= 5) {
      bits -= 5
      out += ALPHABET[(buffer >> bits) & 31]
    }
    buffer &= (1 << bits) - 1
  }
  return out
}

/** A new ULID body (26 chars) for the given time. */
export function ulid(now: number = Date.now()): string {
  if (now > lastTime) {
    lastTime = now
    fillRandom(lastRandom)
  } else if (!increment(lastRandom)) {
    // Overflow inside one millisecond: borrow the next millisecond rather than repeat an id.
    lastTime += 1
    fillRandom(lastRandom)
  }
  return encodeTime(lastTime) + encodeRandom(lastRandom)
}

export function newId(prefix: IdPrefix, now?: number): string {
  return `${prefix}_${ulid(now)}`
}

/** The creation time (ms) encoded in an id made by `newId`, or undefined if it is not one. */
export function idTime(id: string): number | undefined {
  const body = id.slice(id.indexOf('_') + 1)
  if (body.length !== 26) return undefined
  let t = 0
  for (let i = 0; i < 10; i++) {
    const v = ALPHABET.indexOf(body[i]!)
    if (v < 0) return undefined
    t = t * 32 + v
  }
  return t
}
