/**
 * The entity timeline at 1,000,000 events: one page of `GET /api/entities/contact/:id/timeline`
 * as the route computes it, in-process — `store.entityEvents()` (22 rows: the page of 20, the one
 * before it, one more) and the field diffs between consecutive bodies (catalog/body-diff.ts).
 * Both stores; the rows are bench/lib/event-rows.ts's (50,000 contacts, 20 events each).
 *
 *   npx tsx bench/entity-timeline.ts [--events 1000000] [--store sqlite,postgres] [--runs 30]
 */

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { diffBodies } from '../src/catalog/body-diff.js'
import { parseStoredBody } from '../src/catalog/parse-body.js'
import { openStore } from '../src/store/open-store.js'
import type { Store } from '../src/store/types.js'
import { benchCommand, int, listOption, oneOf, quietWaitOption } from './lib/args.js'
import { loadPostgresEvents, loadSqliteEvents } from './lib/event-rows.js'
import { quietOrWarn } from './lib/machine.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { formatTable, num } from './lib/stats.js'

type StoreKind = 'sqlite' | 'postgres'
const o = benchCommand('entity-timeline.ts', 'One page of the entity timeline at 1M events.')
  .option('--events <n>', 'events to load', int(1000, 5_000_000), 1_000_000)
  .addOption(
    listOption('--store <list>', 'stores, in run order', oneOf(['sqlite', 'postgres'] as const), [
      'sqlite',
      'postgres',
    ]),
  )
  .option('--runs <n>', 'measured runs per case (after 3 warm-up runs)', int(3, 1000), 30)
  .addOption(quietWaitOption('before each store', 30))
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ events: number; store: StoreKind[]; runs: number; quietWait: number }>()
const now = Date.now()

async function timed(call: () => Promise<unknown>) {
  for (let i = 0; i < 3; i++) await call()
  const times: number[] = []
  for (let i = 0; i < o.runs; i++) {
    const started = performance.now()
    await call()
    times.push(performance.now() - started)
  }
  times.sort((a, b) => a - b)
  return { p50: times[Math.floor(times.length / 2)]!, p95: times[Math.ceil(0.95 * times.length) - 1]! }
}

async function measure(kind: StoreKind, store: Store) {
  await quietOrWarn(kind, o.quietWait)
  let contact = 0
  const request = () => ({ entityKind: 'contact', entityId: `c_${contact++ % 50_000}`, limit: 22 })
  const read = await timed(() => store.entityEvents(request()))
  const page = await timed(async () => {
    const events = await store.entityEvents(request())
    const bodies = events.map((e) => parseStoredBody(e))
    for (let i = 1; i < bodies.length; i++) diffBodies(bodies[i - 1], bodies[i])
  })
  const rows = (await store.entityEvents({ entityKind: 'contact', entityId: 'c_4242', limit: 22 })).length
  const table = [
    ['case', 'median ms', 'p95 ms', 'rows'],
    ['entityEvents (limit 22)', num(read.p50, 2), num(read.p95, 2), String(rows)],
    ['+ parse and diff the bodies (the route)', num(page.p50, 2), num(page.p95, 2), String(rows)],
  ]
  console.log(`\n## ${kind}: ${o.runs} runs, a different contact each run\n`)
  console.log(formatTable(table))
}

for (const kind of o.store) {
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'ghl-timeline-'))
    try {
      const path = join(dir, 'gw.db')
      const migrating = openStore({ url: `sqlite:${path}` })
      await migrating.migrate()
      await migrating.close()
      console.log(`SQLite: loaded in ${(loadSqliteEvents(path, o.events, now) / 1000).toFixed(1)} s`)
      const store = openStore({ url: `sqlite:${path}` })
      await measure('sqlite', store).finally(() => store.close())
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  } else {
    let server: BenchPostgres | undefined
    try {
      server = await startBenchPostgres()
      const url = await server.createDatabase('entity_timeline')
      const migrating = openStore({ url })
      await migrating.migrate()
      await migrating.close()
      console.log(
        `PostgreSQL: loaded in ${((await loadPostgresEvents(url, o.events, now)) / 1000).toFixed(1)} s`,
      )
      const store = openStore({ url })
      await measure('postgres', store).finally(() => store.close())
    } finally {
      await server?.stop()
    }
  }
}
