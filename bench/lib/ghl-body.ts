import { createHash } from 'node:crypto'

/**
 * Realistic GHL `ContactCreate` bodies for load tests: flat (no `data` wrapper), compact JSON with a
 * stable key order, ~570 bytes, envelope fields as production sends them (`appId`, `versionId`,
 * `timestamp`, `webhookId`; REFERENCE (a)). Every body has its own UUID `webhookId` (the gateway's
 * dedupe key) and contact id, so no two requests of a run are duplicates.
 *
 * Deterministic for a given seed apart from `timestamp`, which starts at `baseTime`.
 */

/** mulberry32: small, fast, good enough for picking names. */
export function prng(seed: string): () => number {
  let state = createHash('sha256').update(seed).digest().readUInt32LE(0)
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
const HEX = '0123456789abcdef'

const FIRST = ['Jordan', 'Maria', 'Aiden', 'Priya', 'Lucas', 'Sofia', 'Ethan', 'Chloe', 'Mateo', 'Hannah']
const LAST = ['Alvarez', 'Nguyen', 'Okafor', 'Schmidt', 'Patel', 'Johnson', 'Rossi', 'Kowalski', 'Tanaka']
const CITIES = [
  ['Austin', 'TX', '78701'],
  ['Denver', 'CO', '80202'],
  ['Tampa', 'FL', '33602'],
  ['Columbus', 'OH', '43215'],
  ['Phoenix', 'AZ', '85004'],
] as const
const SOURCES = ['Facebook Lead Form', 'Website Chat Widget', 'Google Ads Landing Page', 'Referral']
const TAGS = ['new lead', 'facebook', 'roofing', 'quote requested', 'newsletter', 'vip']

export interface BodyGenerator {
  /** Compact JSON of the i-th body. */
  body(i: number): string
}

export function createBodyGenerator(seed: string, baseTime: number): BodyGenerator {
  const rnd = prng(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!
  const chars = (alphabet: string, n: number) => {
    let out = ''
    for (let k = 0; k < n; k++) out += alphabet[Math.floor(rnd() * alphabet.length)]
    return out
  }
  const uuid = () => {
    const h = chars(HEX, 32)
    const variant = HEX[8 + Math.floor(rnd() * 4)]
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
  }
  // A few tenants and one app, as one marketplace app installed in many sub-accounts would see.
  const locations = Array.from({ length: 64 }, () => chars(ALNUM, 20))
  const users = Array.from({ length: 16 }, () => chars(ALNUM, 20))
  const appId = chars(HEX, 24)
  const versionId = chars(HEX, 24)

  return {
    body(i: number): string {
      const first = pick(FIRST)
      const last = pick(LAST)
      const [city, state, postalCode] = pick(CITIES)
      const at = new Date(baseTime + i).toISOString()
      // Key order is fixed: JSON.stringify(JSON.parse(body)) === body, which the guide baseline needs.
      return JSON.stringify({
        type: 'ContactCreate',
        locationId: pick(locations),
        id: chars(ALNUM, 20),
        email: `${first}.${last}${Math.floor(rnd() * 10_000)}@example.com`.toLowerCase(),
        firstName: first,
        lastName: last,
        name: `${first} ${last}`,
        phone: `+1555${String(Math.floor(rnd() * 10_000_000)).padStart(7, '0')}`,
        city,
        state,
        postalCode,
        country: 'US',
        source: pick(SOURCES),
        dateAdded: at,
        dnd: false,
        tags: [pick(TAGS)],
        assignedTo: pick(users),
        appId,
        versionId,
        timestamp: at,
        webhookId: uuid(),
      })
    },
  }
}
