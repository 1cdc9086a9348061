/**
 * Does retention lock ingest? A gateway process takes signed webhooks at a fixed open-loop rate
 * while, in the same database, the gateway's own retention job (src/deliver/retention.ts, run by
 * lib/prune-loop.ts) deletes processed events older than 30 days. Baseline, same run: the same load
 * with no pruning.
 *
 *   npx tsx bench/retention.ts [--store sqlite,postgres] [--old 200000] [--rate 1000] [--seconds 10] [--runs 2]
 *
 * Reports ingest latency (scheduled send → 2xx) p50/p99/max in both phases and the pruning rate.
 * The pruner is a process of its own (lib/prune-loop.ts). On SQLite that makes it a second process on
 * the file, which is harsher than the gateway's in-process retention: the two wait on SQLite's lock.
 */

import { spawn } from 'node:child_process'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { openStore } from '../src/store/open-store.js'
import type { NewEvent, Store } from '../src/store/types.js'
import { benchCommand, int, listOption, oneOf, quietWaitOption } from './lib/args.js'
import { type BenchDatabase, freshDatabase, type StoreKind, startGatewayProcess } from './lib/gateway.js'
import { createBodyGenerator } from './lib/ghl-body.js'
import { ensureBenchKeys } from './lib/keys.js'
import { machineFacts, quietOrWarn } from './lib/machine.js'
import { describeOpenLoop, type OpenLoopResult, openLoopAgent, runOpenLoop } from './lib/open-loop.js'
import { benchDir, resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { ensureRequestsFile, readSignedRequests } from './lib/requests-file.js'
import { markdownTable, median, sleep } from './lib/stats.js'
import { storedGhlEvent } from './lib/stored-event.js'

const o = benchCommand(
  'retention.ts',
  'Does retention lock ingest? Ingest latency while retention deletes old events.',
)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--old <n>', 'old, processed events for retention to delete', int(1, 10_000_000), 200_000)
  .option('--rate <n>', 'webhooks per second, open loop', int(1, 100_000), 1000)
  .option('--seconds <s>', 'measured seconds per phase', int(1, 600), 10)
  .option('--runs <n>', 'runs per store', int(1, 20), 2)
  .addOption(quietWaitOption())
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ store: StoreKind[]; old: number; rate: number; seconds: number; runs: number; quietWait: number }>()
const stores = o.store
const OLD = o.old
const RATE = o.rate
const SECONDS = o.seconds
const RUNS = o.runs
const QUIET = o.quietWait
const DAY = 86_400_000

/** Old, fully processed events (no deliveries left), 40 days back: all of them due for deletion. */
async function fillOld(store: Store, count: number) {
  const then = Date.now() - 40 * DAY
  const bodies = createBodyGenerator(`retention-${then}`, then)
  for (let done = 0; done < count; ) {
    const batch: NewEvent[] = []
    for (let k = 0; k < 1000 && done + k < count; k++)
      batch.push(storedGhlEvent(Buffer.from(bodies.body(done + k)), then))
    await store.insertEvents(batch)
    done += batch.length
  }
}

interface Phase {
  store: StoreKind
  run: number
  pruning: boolean
  result: OpenLoopResult
  pruned: number
  pruneSeconds: number
}

const keys = ensureBenchKeys()
const file = await ensureRequestsFile({ count: 200_000, seed: '1', rsaCount: 50_000, keys })
const perPhase = RATE * SECONDS
// Every run has a fresh database, so runs reuse the same requests.
const requests = await readSignedRequests(file.path, 0, perPhase * 2 + RATE)
let pg: Promise<BenchPostgres> | undefined
const postgres = () => {
  pg ??= startBenchPostgres()
  return pg
}
const phases: Phase[] = []
const startedAt = new Date()
try {
  for (const kind of stores) {
    for (let run = 1; run <= RUNS; run++) {
      const db: BenchDatabase = await freshDatabase(kind, postgres)
      const store = openStore({ url: db.url })
      try {
        await store.migrate()
        const t0 = Date.now()
        await fillOld(store, OLD)
        console.log(
          `[retention] ${kind} run ${run}: ${OLD.toLocaleString('en-US')} old events in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        )
        let next = 0
        const gateway = await startGatewayProcess({ mode: 'cli', databaseUrl: db.url, keys, ipc: false })
        try {
          const agent = openLoopAgent(256)
          const url = `${gateway.baseUrl}/webhooks/ghl`
          const request = (i: number) => {
            const r = requests[next + i]!
            return {
              body: r.body,
              headers: { 'content-type': 'application/json', 'x-ghl-signature': r.ed25519 },
            }
          }
          // Warm-up (JIT, connections), then the baseline and the pruning phase on the same process.
          await runOpenLoop({ url, rate: RATE, count: RATE, agent, request })
          next += RATE
          for (const pruning of [false, true]) {
            await quietOrWarn(`retention ${kind} run ${run}`, QUIET)
            // The pruner runs in a process of its own (see lib/prune-loop.ts).
            const pruner = pruning
              ? spawn(process.execPath, ['--import', 'tsx', join(benchDir, 'lib', 'prune-loop.ts'), db.url], {
                  stdio: ['ignore', 'pipe', 'inherit'],
                })
              : undefined
            let output = ''
            pruner?.stdout?.on('data', (chunk: Buffer) => {
              output += chunk.toString()
            })
            const exited = pruner ? new Promise((resolve) => pruner.once('exit', resolve)) : Promise.resolve()
            const result = await runOpenLoop({ url, rate: RATE, count: perPhase, agent, request })
            next += perPhase
            pruner?.kill('SIGTERM')
            await exited
            const { pruned, seconds: pruneSeconds } = pruner
              ? (JSON.parse(output.trim().split('\n').at(-1) ?? '{}') as { pruned: number; seconds: number })
              : { pruned: 0, seconds: 0 }
            phases.push({ store: kind, run, pruning, result, pruned, pruneSeconds })
            console.log(
              `  ${kind} run ${run} ${pruning ? 'with pruning   ' : 'without pruning'} ${describeOpenLoop(result)}` +
                (pruning
                  ? `; pruned ${pruned.toLocaleString('en-US')} events in ${pruneSeconds.toFixed(1)} s`
                  : ''),
            )
            if (result.ok < result.count)
              throw new Error(`${result.count - result.ok} requests were not acked`)
          }
          agent.destroy()
        } finally {
          await gateway.close()
        }
      } finally {
        await store.close()
        await db.drop()
      }
      await sleep(500)
    }
  }
} finally {
  await (await pg?.catch(() => undefined))?.stop()
}

const table = [
  ['store', 'phase', 'rate/s', 'p50 ms', 'p99 ms', 'max ms', 'events pruned', 'pruned/s', 'p99 vs without'],
]
for (const kind of stores) {
  const base = median(phases.filter((p) => p.store === kind && !p.pruning).map((p) => p.result.latencyMs.p99))
  for (const pruning of [false, true]) {
    const mine = phases.filter((p) => p.store === kind && p.pruning === pruning)
    const m = (f: (p: Phase) => number) => median(mine.map(f))
    const p99 = m((p) => p.result.latencyMs.p99)
    table.push([
      kind,
      pruning ? 'pruning' : 'no pruning (baseline)',
      RATE.toLocaleString('en-US'),
      m((p) => p.result.latencyMs.p50).toFixed(2),
      p99.toFixed(1),
      m((p) => p.result.latencyMs.max).toFixed(1),
      pruning ? m((p) => p.pruned).toLocaleString('en-US') : '–',
      pruning
        ? Math.round(m((p) => p.pruned / Math.max(p.pruneSeconds, 0.001))).toLocaleString('en-US')
        : '–',
      pruning ? `${(p99 / base).toFixed(2)}×` : '–',
    ])
  }
}
const markdown = markdownTable(table)
console.log(
  `\nIngest while retention deletes ${OLD.toLocaleString('en-US')} old events (medians of ${RUNS} runs)\n${markdown}`,
)
await mkdir(resultsDir, { recursive: true })
const out = join(resultsDir, `retention-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
await writeFile(
  out,
  `${JSON.stringify(
    {
      kind: 'retention',
      startedAt: startedAt.toISOString(),
      machine: machineFacts(),
      options: { stores, old: OLD, rate: RATE, seconds: SECONDS, runs: RUNS },
      phases: phases.map(({ result, ...p }) => ({ ...p, latencyMs: result.latencyMs, ok: result.ok })),
      markdown,
    },
    null,
    2,
  )}\n`,
)
console.log(`[retention] raw results: ${out}`)
