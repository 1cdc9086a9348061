import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { openStore } from '../src/store/open-store.js'
import { freshPostgresDatabase, freshSqliteFile } from './support/databases.js'
import {
  createTestKeyPair,
  type GatewayProcess,
  postWebhook,
  signedWebhook,
  startGatewayProcess,
  stopAllGatewayProcesses,
} from './support/gateway-process.js'
import type { StoreKind } from './support/test-app.js'

/**
 * GHL's rate limits across gateway processes (src/ghl/shared-rate-limiter.ts), end to end: two OS
 * processes on one database, each handler making one GHL call through the shared limiter, against a
 * counting server that answers like GHL — 429 beyond its limit in any sliding window, `X-RateLimit-*`
 * headers, injected faults.
 *
 * Scaled so both stores run in well under a minute and the handlers always ask faster than the
 * limit (on a busy machine the delivery pipeline alone may not outrun 100 per 10 s): the server
 * allows 50 calls per 2 s instead of GHL's 100 per 10 s, and the gateways keep
 * GHL_RATE_LIMIT_BURST=45 per GHL_RATE_LIMIT_WINDOW=2s (the defaults' 90 %). The property is the
 * issue's, scaled: never more than the server allows in any window, and no 429.
 */

const ENTRY = fileURLToPath(new URL('./support/ghl-limits-gateway.mjs', import.meta.url))
const keys = createTestKeyPair()
const GHL_WINDOW_MS = 2000
const GHL_MAX = 50

interface Call {
  location: string
  contact: string
  pid: string
  at: number
  status: number
  injected: boolean
}

/** A GHL stand-in for one test run: counts calls per location in a sliding window, answers 429 past the max. */
async function startCountingGhl() {
  const calls: Call[] = []
  const recent = new Map<string, number[]>()
  /** Per location: the n-th call gets an injected answer. */
  const faults = new Map<string, { n: number; status: number; headers: Record<string, string> }>()
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://ghl')
    const contact = decodeURIComponent(url.pathname.split('/')[2] ?? '')
    const location = contact.split(':')[0] ?? ''
    const at = Date.now()
    const times = (recent.get(location) ?? []).filter((t) => t > at - GHL_WINDOW_MS)
    times.push(at)
    recent.set(location, times)
    const seen = calls.filter((c) => c.location === location).length + 1
    const fault = faults.get(location)
    const headers = {
      'content-type': 'application/json',
      'x-ratelimit-max': String(GHL_MAX),
      'x-ratelimit-remaining': String(Math.max(0, GHL_MAX - times.length)),
      'x-ratelimit-interval-milliseconds': String(GHL_WINDOW_MS),
      'x-ratelimit-limit-daily': '200000',
      'x-ratelimit-daily-remaining': '199000',
    }
    let status = times.length > GHL_MAX ? 429 : 200
    const injected = fault !== undefined && fault.n === seen
    if (injected) status = fault.status
    calls.push({ location, contact, pid: url.searchParams.get('pid') ?? '', at, status, injected })
    res.writeHead(status, { ...headers, ...(injected ? fault.headers : {}) })
    res.end(JSON.stringify(status === 200 ? { contact: { id: contact } } : { statusCode: status }))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    fault: (location: string, n: number, status: number, headers: Record<string, string>) =>
      faults.set(location, { n, status, headers }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The most calls of these inside any span of `windowMs`. */
function mostInWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let most = 0
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

async function until(condition: () => boolean, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

/** Posts `count` ContactCreate webhooks for `location`, 8 at a time, to the processes in turn. */
async function sendContacts(gateways: GatewayProcess[], location: string, count: number, first = 0) {
  let next = 0
  const lane = async () => {
    for (let i = first + next++; i < first + count; i = first + next++) {
      const webhook = signedWebhook(keys.privateKey, {
        type: 'ContactCreate',
        id: `${location}:c${i}`,
        locationId: location,
        webhookId: crypto.randomUUID(),
      })
      const answer = await postWebhook(gateways[i % gateways.length]!.url, webhook)
      expect(answer.status).toBe(200)
    }
  }
  await Promise.all(Array.from({ length: 8 }, lane))
}

afterAll(async () => {
  await stopAllGatewayProcesses()
})

/** Two processes on a fresh database of this kind, their handlers calling `ghl`. */
async function twoProcesses(kind: StoreKind, ghlUrl: string) {
  const database =
    kind === 'sqlite'
      ? (() => {
          const file = freshSqliteFile()
          return { url: file.url, drop: async () => file.remove() }
        })()
      : await freshPostgresDatabase()
  const env = {
    GHL_TEST_API_URL: ghlUrl,
    GHL_RATE_LIMIT_BURST: '45',
    GHL_RATE_LIMIT_WINDOW: '2s',
    // No waiting inside acquire: every refusal shows as a retried delivery, which the test counts.
    GHL_RATE_LIMIT_MAX_WAIT: '0',
    WORKER_POLL_INTERVAL: '100ms',
    PG_POOL_SIZE: '6',
  }
  const gateways: GatewayProcess[] = []
  for (let i = 0; i < 2; i++)
    gateways.push(await startGatewayProcess({ databaseUrl: database.url, keyPair: keys, entry: ENTRY, env }))
  return { database, gateways }
}

async function scenario(kind: StoreKind) {
  const ghl = await startCountingGhl()
  const { database, gateways } = await twoProcesses(kind, ghl.url)
  try {
    // 1. 300 handler calls for one location, sent to both processes at once.
    await sendContacts(gateways, 'loc_burst', 300)
    const served = () =>
      new Set(ghl.calls.filter((c) => c.location === 'loc_burst' && c.status === 200).map((c) => c.contact))
    await until(() => served().size === 300, 45_000, `${kind}: 300 calls served`)
    const burst = ghl.calls.filter((c) => c.location === 'loc_burst')
    expect(
      burst.filter((c) => c.status === 429),
      kind,
    ).toEqual([])
    const most = mostInWindow(
      burst.map((c) => c.at),
      GHL_WINDOW_MS,
    )
    expect(most, kind).toBeLessThanOrEqual(GHL_MAX)
    // The limit was reached, not avoided by a slow pipeline: deliveries were turned away and retried.
    const checker = openStore({ url: database.url })
    try {
      let retried = 0
      let cursor: string | undefined
      for (let pages = 0; pages < 5; pages++) {
        const page = await checker.listDeliveries({ tenantId: 'loc_burst' }, { limit: 100, cursor })
        retried += page.items.filter((d) => d.totalAttempts > 1).length
        if (!page.nextCursor) break
        cursor = page.nextCursor
      }
      expect(retried, kind).toBeGreaterThan(0)
    } finally {
      await checker.close()
    }
    expect(new Set(burst.map((c) => c.pid)).size, kind).toBe(2)

    // 2. GHL answers 429 once (X-RateLimit-Remaining 0): every process stops for GHL's interval.
    ghl.fault('loc_fault', 20, 429, {
      'x-ratelimit-remaining': '0',
      'x-ratelimit-interval-milliseconds': '3000',
    })
    await sendContacts(gateways, 'loc_fault', 120)
    await until(
      () =>
        new Set(ghl.calls.filter((c) => c.location === 'loc_fault' && c.status === 200).map((c) => c.contact))
          .size === 120,
      30_000,
      `${kind}: the calls after the 429 served`,
    )
    const fault = ghl.calls.filter((c) => c.location === 'loc_fault')
    const limited = fault.find((c) => c.injected)!
    // Calls granted before the 429 was recorded may still arrive just after it; then nothing from
    // either process until the interval is over.
    const during = fault.filter((c) => c.at > limited.at + 500 && c.at < limited.at + 2800)
    expect(during, kind).toEqual([])
    const after = fault.filter((c) => c.at >= limited.at + 2800)
    expect(new Set(after.map((c) => c.pid)).size, kind).toBe(2)
    expect(
      fault.filter((c) => c.status === 429 && !c.injected),
      kind,
    ).toEqual([])

    // 3. GHL says the day's calls are spent: the location's deliveries wait for the reset, none dies.
    // The third call's answer says so; once that is recorded, the next five calls all wait.
    ghl.fault('loc_daily', 3, 200, { 'x-ratelimit-daily-remaining': '0' })
    const dailyOwner = { appId: 'app_1', userType: 'Location', ownerId: 'loc_daily' } as const
    const store = openStore({ url: database.url })
    try {
      const servedDaily = () =>
        new Set(ghl.calls.filter((c) => c.location === 'loc_daily' && c.status === 200).map((c) => c.contact))
          .size
      await sendContacts(gateways, 'loc_daily', 3)
      await until(() => servedDaily() === 3, 20_000, `${kind}: the first three daily calls`)
      // The pause is recorded right after the answer, by the process that got it.
      const refused = async () =>
        !(await store.takeGhlRateSlot(dailyOwner, { burst: 1000, windowMs: 1000, daily: 1e6 }, Date.now()))
          .granted
      await expect.poll(refused, { timeout: 10_000 }).toBe(true)
      await sendContacts(gateways, 'loc_daily', 5, 3)
      const waiting = async () =>
        (await store.listDeliveries({ tenantId: 'loc_daily', states: ['retry_scheduled'] }, { limit: 20 }))
          .items
      await expect.poll(async () => (await waiting()).length, { timeout: 20_000 }).toBe(5)
      expect(servedDaily(), kind).toBe(3)
      const midnight = (Math.floor(Date.now() / 86_400_000) + 1) * 86_400_000
      for (const delivery of await waiting()) {
        expect(delivery.runAt, kind).toBeGreaterThan(midnight - 5000)
        expect(delivery.runAt, kind).toBeLessThanOrEqual(midnight + 5000)
      }
      expect(
        (await store.listDeliveries({ tenantId: 'loc_daily', states: ['dead'] }, { limit: 20 })).items,
      ).toEqual([])
    } finally {
      await store.close()
    }
  } finally {
    await Promise.all(gateways.map((g) => g.stop()))
    await ghl.close()
    await database.drop()
  }
}

describe('GHL rate limits across two gateway processes', () => {
  it('300 calls for one location: never more than GHL allows in any window, no 429; a 429 pauses both processes; a spent day makes deliveries wait — on SQLite and PostgreSQL', async () => {
    await Promise.all((['sqlite', 'postgres'] as const).map((kind) => scenario(kind)))
  }, 150_000)
})
