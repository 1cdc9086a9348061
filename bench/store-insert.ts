/**
 * What one durable insert costs on the event loop: `store.insertEvents()` (the call ingest's group
 * commit makes) on a SQLite file, in batches of the size group commit forms under load, one batch
 * per event-loop turn as group commit does. Variants, interleaved in the same run: as shipped
 * (WAL checkpoints on their own thread); checkpoints on the writer (SQLite's automatic checkpoint
 * on the event loop, as shipped before 2026-11-23); and as shipped without the six secondary
 * indexes of `events` (location, company, type, entity, schema status, received_at).
 *
 *   npx tsx bench/store-insert.ts [--events 100000] [--batch 32] [--runs 3] [--quiet-wait 30] [--busy-core]
 *
 * `--busy-core` runs a busy loop in another process during each measurement, so the checkpoint
 * thread competes for the second of two cores: the case the WAL's hard cap is for (its largest size
 * is in the table either way).
 *
 * SQLite runs on the calling thread, so wall µs per event here is main-thread time an ingesting
 * gateway cannot spend on anything else; user + sys CPU tell how much of it is the kernel (WAL
 * page writes). Bodies are the same realistic ContactCreate events as the backlog suite.
 */

import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteStore, sqliteCheckpointer } from '../src/store/sqlite/sqlite-store.js'
import type { NewEvent } from '../src/store/types.js'
import { benchCommand, int, quietWaitOption } from './lib/args.js'
import { createBodyGenerator } from './lib/ghl-body.js'
import { machineFacts, quietOrWarn } from './lib/machine.js'
import { resultsDir } from './lib/paths.js'
import { median } from './lib/report.js'
import { mainThreadCpuSeconds } from './lib/server-process.js'
import { storedGhlEvent } from './lib/stored-event.js'

const o = benchCommand(
  'store-insert.ts',
  'What one durable insert costs on the event loop: insertEvents() on a SQLite file.',
)
  .option('--events <n>', 'events inserted per variant and run', int(100, 10_000_000), 100_000)
  .option('--batch <n>', 'events per insertEvents() call, one call per event-loop turn', int(1, 10_000), 32)
  .option('--runs <n>', 'runs, the variants interleaved', int(1, 20), 3)
  .option(
    '--busy-core',
    'a busy loop in another process while measuring (a starved checkpoint thread)',
    false,
  )
  .addOption(quietWaitOption())
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ events: number; batch: number; runs: number; quietWait: number; busyCore: boolean }>()
const N = o.events
const BATCH = o.batch
const RUNS = o.runs

const SECONDARY = [
  'events_location',
  'events_company',
  'events_type',
  'events_entity',
  'events_schema',
  'events_received_at',
]

function makeEvents(seed: string): NewEvent[] {
  const bodies = createBodyGenerator(seed, Date.now())
  const events: NewEvent[] = []
  for (let i = 0; i < N; i++) {
    const event = storedGhlEvent(Buffer.from(bodies.body(i)), Date.now())
    // As ingest stores it: credentials as fingerprints among the kept headers.
    event.headers = { ...event.headers, 'x-ghl-signature': 'sha256:3f1c…' }
    events.push(event)
  }
  return events
}

interface Row {
  variant: string
  run: number
  wallUs: number
  userUs: number
  sysUs: number
  bytesPerEvent: number
  /** Main-thread CPU (user + sys) per event: what the event loop itself spent. */
  mainCpuUs: number
  /** Write pauses for the WAL to start over, total ms per 1,000 events (thread checkpoints only). */
  pauseMsPer1k: number
  /** Times the WAL's hard cap made writes wait for a running checkpoint. */
  caps: number
  /** The WAL file's largest size seen (every 50 batches), MB. */
  walMb: number
}

/** Event-loop CPU seconds (process.cpuUsage counts every thread, the checkpoint thread too). */
const mainThreadCpuSec = () => mainThreadCpuSeconds(process.pid) ?? Number.NaN

const VARIANTS = [
  'as shipped',
  'no WAL hard cap',
  'checkpoints on the writer',
  'no secondary indexes',
] as const
type Variant = (typeof VARIANTS)[number]

async function measure(variant: Variant, run: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'ghl-bench-insert-'))
  try {
    const path = join(dir, 'gw.db')
    const store = createSqliteStore({
      path,
      checkpoints: variant === 'checkpoints on the writer' ? 'writer' : 'thread',
      walCapBytes: variant === 'no WAL hard cap' ? Number.POSITIVE_INFINITY : undefined,
    })
    await store.migrate()
    if (variant === 'no secondary indexes') {
      const Database = (await import('better-sqlite3')).default
      const other = new Database(path)
      for (const index of SECONDARY) other.exec(`DROP INDEX ${index}`)
      other.close()
    }
    const events = makeEvents(`insert-${variant}-${run}`)
    await quietOrWarn(`store-insert ${variant} run ${run}`, o.quietWait)
    // Bounded like every load here: it ends with the measurement, or after 10 minutes.
    const busy = o.busyCore
      ? spawn(process.execPath, ['-e', 'const end = Date.now() + 600_000; while (Date.now() < end);'], {
          stdio: 'ignore',
        })
      : undefined
    const cpu0 = process.cpuUsage()
    const main0 = mainThreadCpuSec()
    const t0 = performance.now()
    let wal = 0
    try {
      for (let i = 0; i < N; i += BATCH) {
        await store.insertEvents(events.slice(i, i + BATCH))
        await new Promise((resolve) => setImmediate(resolve))
        if ((i / BATCH) % 50 === 0) wal = Math.max(wal, statSync(`${path}-wal`).size)
      }
    } finally {
      busy?.kill('SIGKILL')
    }
    const wall = performance.now() - t0
    const cpu = process.cpuUsage(cpu0)
    const mainCpu = mainThreadCpuSec() - main0
    const pauseMs = sqliteCheckpointer(store)?.stats.pauseMsTotal ?? 0
    const caps = sqliteCheckpointer(store)?.stats.caps ?? 0
    await store.close()
    return {
      variant,
      run,
      wallUs: (wall * 1000) / N,
      userUs: cpu.user / N,
      sysUs: cpu.system / N,
      bytesPerEvent: statSync(path).size / N,
      mainCpuUs: (mainCpu * 1e6) / N,
      pauseMsPer1k: (pauseMs * 1000) / N,
      caps,
      walMb: wal / 1024 / 1024,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const startedAt = new Date()
const rows: Row[] = []
// Interleaved, so drift on a shared machine hits both variants alike.
for (let run = 1; run <= RUNS; run++) {
  for (const variant of VARIANTS) {
    const row = await measure(variant, run)
    rows.push(row)
    console.log(
      `  ${variant.padEnd(26)} run ${run}: ${row.wallUs.toFixed(1)} µs/event wall, main thread ` +
        `${row.mainCpuUs.toFixed(1)} µs CPU, all threads user ${row.userUs.toFixed(1)} + sys ${row.sysUs.toFixed(1)} µs, ` +
        `write pauses ${row.pauseMsPer1k.toFixed(2)} ms/1k events (${row.caps} at the hard cap), WAL up to ${row.walMb.toFixed(0)} MB, ${row.bytesPerEvent.toFixed(0)} B/event on disk`,
    )
  }
}

const summary = (variant: string) => {
  const mine = rows.filter((r) => r.variant === variant)
  const w = mine.map((r) => r.wallUs)
  return {
    wall: median(w),
    min: Math.min(...w),
    max: Math.max(...w),
    main: median(mine.map((r) => r.mainCpuUs)),
    user: median(mine.map((r) => r.userUs)),
    sys: median(mine.map((r) => r.sysUs)),
    pauses: median(mine.map((r) => r.pauseMsPer1k)),
    caps: median(mine.map((r) => r.caps)),
    walMb: Math.max(...mine.map((r) => r.walMb)),
    bytes: median(mine.map((r) => r.bytesPerEvent)),
  }
}
const summaries = Object.fromEntries(VARIANTS.map((v) => [v, summary(v)])) as Record<
  Variant,
  ReturnType<typeof summary>
>
const table = [
  '| variant | µs/event wall median (min–max) | main-thread CPU µs | all threads user + sys µs | write pauses ms per 1k events | hard-cap waits | largest WAL MB | bytes/event on disk |',
  '|---|---|---|---|---|---|---|---|',
  ...VARIANTS.map((name) => {
    const s = summaries[name]
    return `| ${name} | ${s.wall.toFixed(1)} (${s.min.toFixed(1)}–${s.max.toFixed(1)}) | ${s.main.toFixed(1)} | ${s.user.toFixed(1)} + ${s.sys.toFixed(1)} | ${s.pauses.toFixed(2)} | ${s.caps} | ${s.walMb.toFixed(0)} | ${s.bytes.toFixed(0)} |`
  }),
].join('\n')
const shipped = summaries['as shipped']
const ratio =
  `Ratios of wall µs/event: as shipped / no WAL hard cap **${(shipped.wall / summaries['no WAL hard cap'].wall).toFixed(2)}×**; ` +
  `as shipped / checkpoints on the writer **${(shipped.wall / summaries['checkpoints on the writer'].wall).toFixed(2)}×**; ` +
  `as shipped / no secondary indexes **${(shipped.wall / summaries['no secondary indexes'].wall).toFixed(2)}×**`
console.log(
  `\nSQLite insertEvents, ${N.toLocaleString('en-US')} events in batches of ${BATCH}, ${RUNS} runs${o.busyCore ? ', a busy loop on another core' : ''}\n${table}\n\n${ratio}`,
)
await mkdir(resultsDir, { recursive: true })
const out = join(resultsDir, `store-insert-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
await writeFile(
  out,
  `${JSON.stringify({ kind: 'store-insert', startedAt: startedAt.toISOString(), machine: machineFacts(), options: { events: N, batch: BATCH, runs: RUNS, busyCore: o.busyCore }, rows, markdown: `${table}\n\n${ratio}` }, null, 2)}\n`,
)
console.log(`[store-insert] raw results: ${out}`)
