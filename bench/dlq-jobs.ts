/**
 * Bulk dead-letter jobs on SQLite (one writer, on the event loop: the store where a job could
 * starve ingest). Fills a fresh file with `--dead` dead deliveries (one event each), then measures:
 * the bounded count (`countDead`, cap 100,000) and the grouping (`deadGroups`, newest 10,000); a
 * replay job over `--job` of them run by the gateway's job runner (src/deliver/dlq-job-runner.ts:
 * windows of 250, pausing as long as each batch took); and the latency of single-event ingest
 * commits (`insertEvents`, one every 5 ms, open loop) before and during the job.
 *
 *   npx tsx bench/dlq-jobs.ts [--dead 1000000] [--job 100000]
 *
 * In-process and store-level: the commit latency stands for ingest's store-before-ack, without
 * HTTP or signatures in front of it.
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { createDlqJobRunner } from '../src/deliver/dlq-job-runner.js'
import { newId } from '../src/ids.js'
import { createLogger } from '../src/observe/logger.js'
import { createSqliteStore } from '../src/store/sqlite/sqlite-store.js'
import type { NewEvent } from '../src/store/types.js'
import { percentiles, sleep } from './lib/stats.js'
import { storedGhlEvent } from './lib/stored-event.js'

const { values } = parseArgs({ options: { dead: { type: 'string' }, job: { type: 'string' } } })
const DEAD = Number(values.dead ?? 1_000_000)
const JOB = Math.min(DEAD, Number(values.job ?? 100_000))

const dir = mkdtempSync(join(tmpdir(), 'dlq-bench-'))
const store = createSqliteStore({ path: join(dir, 'bench.db') })
await store.migrate()

let n = 0
const event = (now: number, subscriberId: string | null): NewEvent => {
  n++
  const body = Buffer.from(
    JSON.stringify({ type: 'ContactCreate', id: `c${n}`, webhookId: `wh-${n}`, locationId: 'loc_1' }),
  )
  return storedGhlEvent(
    body,
    now,
    subscriberId ? [{ id: newId('dlv', now), subscriberId, orderingKey: null, runAt: now }] : [],
  )
}

// The job's subscriber first (lower seqs), then the rest: `--job` of them are `audit`.
const fillStarted = performance.now()
const t0 = Date.now() - 3_600_000
for (let done = 0; done < DEAD; done += 2000) {
  const batch = Array.from({ length: Math.min(2000, DEAD - done) }, (_, i) =>
    event(t0 + done + i, done + i < JOB ? 'audit' : 'crm'),
  )
  await store.insertEvents(batch)
}
// Straight to dead, as the worker's finish would leave them (the bench measures jobs, not retries).
const db = (await import('better-sqlite3')).default(join(dir, 'bench.db'))
db.prepare(
  `UPDATE deliveries SET state = 'dead', last_error = 'PermanentError: timeout after 5003 ms',
   error_fingerprint = 'PermanentError: timeout after # ms', updated_at = ?, completed_at = ?, attempts = 1, total_attempts = 1`,
).run(t0, t0)
// Fold the fill's WAL back first: the ingest baseline must not pay for a 1M-row checkpoint.
db.pragma('wal_checkpoint(TRUNCATE)')
db.close()
console.log(`filled ${DEAD} dead deliveries in ${((performance.now() - fillStarted) / 1000).toFixed(1)} s`)

const time = async <T>(what: string, f: () => Promise<T>, runs = 5): Promise<T> => {
  let answer!: T
  const ms: number[] = []
  for (let i = 0; i < runs; i++) {
    const started = performance.now()
    answer = await f()
    ms.push(performance.now() - started)
  }
  ms.sort((a, b) => a - b)
  console.log(`${what}: median ${ms[Math.floor(runs / 2)]!.toFixed(1)} ms (of ${runs})`)
  return answer
}
await time('countDead, no filter, cap 100,000', () => store.countDead({}, 100_000))
await time('countDead, subscriber=audit, cap 100,000', () =>
  store.countDead({ subscriberId: 'audit' }, 100_000),
)
await time('countDead, fingerprint, cap 100,000', () =>
  store.countDead({ fingerprint: 'PermanentError: timeout after # ms' }, 100_000),
)
await time('deadGroups, newest 10,000', () => store.deadGroups({}, 10_000))

/** Single-event commits every 5 ms for `ms`: their latencies. */
const ingest = async (ms: number, whileRunning?: () => boolean) => {
  const latencies: number[] = []
  const end = performance.now() + ms
  const pending: Promise<void>[] = []
  for (let next = performance.now(); ; next += 5) {
    if (whileRunning ? !whileRunning() : performance.now() > end) break
    if (performance.now() > end + 600_000) break
    await sleep(Math.max(0, next - performance.now()))
    const scheduled = next
    pending.push(
      store.insertEvents([event(Date.now(), null)]).then(() => {
        latencies.push(performance.now() - scheduled)
      }),
    )
  }
  await Promise.all(pending)
  return percentiles(latencies)
}
const baseline = await ingest(5000)
console.log(
  `ingest commit latency, no job: p50 ${baseline.p50.toFixed(2)} ms, p99 ${baseline.p99.toFixed(2)} ms, max ${baseline.max.toFixed(2)} ms`,
)

const runner = createDlqJobRunner({
  store,
  logger: createLogger({ level: 'silent' }),
  owner: 'bench',
  onWork: () => {},
})
const total = await store.countDead({ subscriberId: 'audit' }, 1_000_000)
const job = await store.createDlqJob({
  id: newId('job'),
  action: 'replay',
  filter: { subscriberId: 'audit' },
  total: total.count,
  totalCapped: false,
  now: Date.now(),
})
let running = true
const started = performance.now()
const jobDone = runner.runAvailable().then(() => {
  running = false
})
const during = await ingest(0, () => running)
await jobDone
const seconds = (performance.now() - started) / 1000
const finished = (await store.getDlqJob(job.id))!
console.log(
  `replay job: ${finished.done} of ${DEAD} dead deliveries replayed (${finished.state}) in ${seconds.toFixed(1)} s`,
)
console.log(
  `ingest commit latency during the job: p50 ${during.p50.toFixed(2)} ms, p99 ${during.p99.toFixed(2)} ms, max ${during.max.toFixed(2)} ms`,
)
await runner.stop()
await store.close()
rmSync(dir, { recursive: true, force: true })
