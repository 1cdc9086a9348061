/**
 * What the nesting-depth check adds to ingest: µs per body for `nestsDeeperThan` (src/json-depth.ts,
 * run by parseJsonBody on every JSON webhook after the signature), next to the `JSON.parse` it
 * follows and to the alternative it was chosen over, one pass over the bytes before parsing.
 * Bodies: the ContactCreate fixture (~1 kB) and ~1 MiB of ContactCreates in one array.
 *
 *   npx tsx bench/json-depth.ts [--runs 5] [--ms 300]
 *
 * Not part of run-all: a microbenchmark on the main thread, median (min–max) over runs.
 */

import { readFileSync } from 'node:fs'
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../src/json-depth.js'
import { benchCommand, int } from './lib/args.js'
import { fmtSpread, formatTable, spread } from './lib/stats.js'

const { runs, ms: runMs } = benchCommand(
  'json-depth.ts',
  'What the nesting-depth check adds to ingest: µs per body.',
)
  .option('--runs <n>', 'runs per row', int(1, 100), 5)
  .option('--ms <n>', 'target duration of one run, in ms', int(10, 60_000), 300)
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ runs: number; ms: number }>()

/** The byte-pass alternative: depth of `[`/`{` outside strings, stopping past the limit. */
function bytesDeeperThan(bytes: Buffer, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!
    if (inString) {
      if (b === 0x5c) i++
      else if (b === 0x22) inString = false
    } else if (b === 0x22) inString = true
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > limit) return true
    } else if (b === 0x5d || b === 0x7d) depth--
  }
  return false
}

/** µs per call: `runs` timed windows of about `runMs` each, after a warm-up window. */
function measure(fn: () => unknown): string {
  const perRun: number[] = []
  for (let run = -1; run < runs; run++) {
    let calls = 0
    const start = performance.now()
    while (performance.now() - start < runMs) {
      for (let i = 0; i < 10; i++) fn()
      calls += 10
    }
    if (run >= 0) perRun.push(((performance.now() - start) * 1000) / calls)
  }
  return fmtSpread(spread(perRun))
}

const fixture = new URL('../src/catalog/fixtures/ContactCreate.json', import.meta.url)
const contact = readFileSync(fixture)
const item = JSON.parse(contact.toString('utf8'))
const items = Array.from({ length: Math.floor((1 << 20) / (JSON.stringify(item).length + 1)) }, () => item)
const mib = Buffer.from(JSON.stringify(items))

const rows = [['body', 'bytes', 'JSON.parse µs', 'depth check µs', 'byte pass µs']]
for (const [name, bytes] of [
  ['ContactCreate', contact],
  [`${items.length} × ContactCreate`, mib],
] as const) {
  const value = JSON.parse(bytes.toString('utf8'))
  rows.push([
    name,
    bytes.length.toLocaleString('en-US'),
    measure(() => JSON.parse(bytes.toString('utf8'))),
    measure(() => nestsDeeperThan(value, MAX_JSON_DEPTH)),
    measure(() => bytesDeeperThan(bytes, MAX_JSON_DEPTH)),
  ])
}
console.log(formatTable(rows, 1))
