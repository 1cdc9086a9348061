/**
 * The gateway's retention job (src/deliver/retention.ts, `runOnce`) in a process of its own, with a
 * 30-day retention: deletes until nothing old is left or SIGTERM. Prints `{"pruned":n,"seconds":s}`.
 * bench/retention.ts runs it beside a gateway process: on SQLite the deletes are synchronous, and in
 * the benchmark's own process they would stall its open-loop sender and count as gateway latency.
 *
 *   node --import tsx bench/lib/prune-loop.ts <DATABASE_URL>
 */
import { startRetention } from '../../src/deliver/retention.js'
import { createLogger } from '../../src/observe/logger.js'
import { openStore } from '../../src/store/open-store.js'

const [url] = process.argv.slice(2)
if (!url) throw new Error('usage: prune-loop.ts <DATABASE_URL>')
const store = openStore({ url })
const retention = startRetention({
  store,
  logger: createLogger({ level: 'warn' }),
  retentionMs: 30 * 86_400_000,
  intervalMs: 24 * 3_600_000,
})
process.once('SIGTERM', () => retention.stop())
const t0 = performance.now()
const pruned = await retention.runOnce()
const seconds = (performance.now() - t0) / 1000
retention.stop()
await store.close()
console.log(JSON.stringify({ pruned, seconds }))
