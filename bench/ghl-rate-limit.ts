/**
 * GHL rate limits shared through the store (src/ghl/shared-rate-limiter.ts):
 *
 * 1. Strategy, on the store's own operations with a simulated clock (SQLite takes the caller's
 *    time): a bulk import asks 150 calls at once for one location, then 20 a second for 30 s.
 *    Granted at once, granted in total, and the most granted in any 10 s, for the sliding-window log
 *    (90 per 10 s), the store's shared token bucket at GHL's numbers (burst 100, 10/s), and a token
 *    bucket whose burst + 10 s of refill stays under 90 (burst 45, 4.5/s).
 * 2. Cost per GHL call: a sequential loop of `--calls` requests to a local HTTP server (a GHL
 *    stand-in answering at once, the worst case for the ratio: real GHL is ~100 ms away) without a
 *    limiter (baseline), and with the shared limiter acquiring before each request and observing its
 *    answer; owners in turn, so each log fills to 80 calls (near the default 90). Both stores.
 *
 *   npx tsx bench/ghl-rate-limit.ts [--calls 2000] [--store sqlite,postgres] [--runs 3]
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, request } from 'undici'
import { SharedGhlRateLimiter } from '../src/ghl/shared-rate-limiter.js'
import { openStore } from '../src/store/open-store.js'
import type { GhlTokenOwner, Store } from '../src/store/types.js'
import { benchCommand, int, listOption, oneOf } from './lib/args.js'
import { startBenchPostgres } from './lib/postgres.js'
import { formatTable, markdownTable, median, num } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand('ghl-rate-limit.ts', 'GHL rate limits: strategy, and cost per call on both stores.')
  .option('--calls <n>', 'GHL calls per measured run', int(100, 100_000), 2000)
  .option('--runs <n>', 'measured runs per case (after one warm-up)', int(1, 20), 3)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ calls: number; runs: number; store: StoreKind[] }>()

const owner = (i: number): GhlTokenOwner => ({ appId: 'bench', userType: 'Location', ownerId: `loc_${i}` })

/** The most times inside any span of `windowMs`. */
const mostInWindow = (times: number[], windowMs: number) => {
  let most = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= windowMs) j++
    most = Math.max(most, i - j + 1)
  }
  return most
}

async function strategies(): Promise<string[][]> {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-rate-bench-'))
  const store = openStore({ url: `sqlite:${join(dir, 'strategy.db')}` })
  await store.migrate()
  const start = Date.UTC(2026, 0, 1, 12)
  // 150 at t = 0, then one every 50 ms for 30 s.
  const asks = [
    ...Array.from({ length: 150 }, () => start),
    ...Array.from({ length: 600 }, (_, i) => start + (i + 1) * 50),
  ]
  const rows = [['strategy', 'granted at t=0', 'granted in 30 s', 'most in any 10 s', 'sustained /s']]
  const cases: [string, (at: number, n: number) => Promise<boolean>][] = [
    [
      'sliding-window log, 90 per 10 s (this)',
      async (at) =>
        (await store.takeGhlRateSlot(owner(1), { burst: 90, windowMs: 10_000, daily: 1e6 }, at)).granted,
    ],
    [
      'token bucket at GHL numbers (burst 100, 10/s)',
      async (at) => (await store.takeRateTokens('b1', 1, { burst: 100, perSecond: 10 }, at)) === 1,
    ],
    [
      'token bucket capped (burst 45, 4.5/s: 45 + 10 s × 4.5 = 90)',
      async (at) => (await store.takeRateTokens('b2', 1, { burst: 45, perSecond: 4.5 }, at)) === 1,
    ],
  ]
  for (const [name, take] of cases) {
    const granted: number[] = []
    for (const [n, at] of asks.entries()) if (await take(at, n)) granted.push(at)
    const atZero = granted.filter((t) => t === start).length
    const late = granted.filter((t) => t >= start + 10_000).length
    rows.push([
      name,
      String(atZero),
      String(granted.length),
      String(mostInWindow(granted, 10_000)),
      num(late / 20, 1),
    ])
  }
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return rows
}

async function costPerCall(kind: StoreKind, store: Store, url: string, dispatcher: Agent, rows: string[][]) {
  const limiter = new SharedGhlRateLimiter({
    store,
    limits: { burst: 90, windowMs: 600_000, daily: 1e6 },
    maxWaitMs: 0,
  })
  const call = async () => {
    const answer = await request(url, { dispatcher })
    await answer.body.text()
    return answer
  }
  let base = 0
  const loop = async (limited: boolean) => {
    const started = performance.now()
    for (let i = 0; i < o.calls; i++) {
      const who = owner(base + Math.floor(i / 80))
      if (limited) await limiter.acquire(who)
      const answer = await call()
      if (limited) limiter.observe(who, answer.statusCode, answer.headers as Record<string, string>)
    }
    base += Math.ceil(o.calls / 80)
    return ((performance.now() - started) * 1000) / o.calls
  }
  // Warm-up, then runs alternating so drift hits both alike.
  await loop(false)
  await loop(true)
  const plain: number[] = []
  const limited: number[] = []
  for (let r = 0; r < o.runs; r++) {
    plain.push(await loop(false))
    limited.push(await loop(true))
  }
  const p = median(plain)
  const l = median(limited)
  rows.push([kind, num(p, 0), num(l, 0), num(l - p, 0), `${num(l / p, 2)}×`])
}

const server = createServer((_req, res) => {
  res.writeHead(200, {
    'content-type': 'application/json',
    'x-ratelimit-max': '100',
    'x-ratelimit-remaining': '99',
    'x-ratelimit-interval-milliseconds': '10000',
    'x-ratelimit-limit-daily': '200000',
    'x-ratelimit-daily-remaining': '199999',
  })
  res.end('{"contact":{"id":"c1"}}')
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/contacts/c1`
const dispatcher = new Agent({ connections: 1 })
const strategyRows = await strategies()
console.log(
  `\nStrategy (simulated clock, SQLite store):\n${formatTable(strategyRows)}\n\n${markdownTable(strategyRows)}\n`,
)

const costRows = [['store', 'µs per call, no limiter', 'µs per call, shared limiter', 'limiter µs', 'ratio']]
for (const kind of o.store) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-rate-bench-'))
    const store = openStore({ url: `sqlite:${join(dir, 'cost.db')}` })
    try {
      await store.migrate()
      await costPerCall(kind, store, url, dispatcher, costRows)
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  } else {
    const pgServer = await startBenchPostgres()
    try {
      const store = openStore({ url: await pgServer.createDatabase('ghl_rate') })
      try {
        await store.migrate()
        await costPerCall(kind, store, url, dispatcher, costRows)
      } finally {
        await store.close()
      }
    } finally {
      await pgServer.stop()
    }
  }
}
console.log(
  `Cost per GHL call (${o.calls} sequential calls, median of ${o.runs} runs):\n${formatTable(costRows)}\n\n${markdownTable(costRows)}\n`,
)
await dispatcher.close()
server.close()
