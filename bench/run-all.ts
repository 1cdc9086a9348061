/**
 * Every benchmark, in sequence: `npm run bench` (later) or `npx tsx bench/run-all.ts [options]`.
 * Today that is the ingest benchmark only; options are passed to it unchanged (see bench/ingest.ts).
 * Further suites (delivery throughput, replay, …) are added here as they are written.
 */
import { parseIngestArgs, runIngest } from './ingest.js'

const suites = [{ name: 'ingest', run: (argv: string[]) => runIngest(parseIngestArgs(argv)) }]

let failed = false
for (const suite of suites) {
  console.log(`\n=== ${suite.name} ===`)
  try {
    const report = await suite.run(process.argv.slice(2))
    if (!report.samples.every((s) => s.ok)) failed = true
  } catch (err) {
    console.error(`${suite.name}: ${(err as Error).message}`)
    failed = true
  }
}
process.exitCode = failed ? 1 : 0
