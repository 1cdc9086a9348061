/**
 * Every benchmark, one after the other: `npm run bench` (= `npx tsx bench/run-all.ts`).
 *
 *   npm run bench                          # default sizes (~80 min on the 2-core machine)
 *   npm run bench -- --quick               # a short smoke run of every suite (~10 min)
 *   npm run bench -- --only e2e,deliver    # some suites
 *
 * Each suite runs as its own child process (`node --import tsx bench/<suite>.ts …`), so a crash or
 * a leaked handle in one cannot disturb the next, and each stops its servers and databases itself.
 * The suites print their tables and write bench/results/<suite>-<timestamp>.json; at the end this
 * prints one line per suite and writes bench/results/run-all-<timestamp>.md with the Markdown
 * tables of this invocation (for docs/benchmarks.md).
 *
 * wrk (the load generator of the ingest suites) is a system package. When it is missing: as root
 * with apt-get available, we say so and install it (`apt-get install -y wrk`); otherwise we print
 * how to install it and skip what needs it (ingest, ingest-latency, scale-out's ingest half).
 *
 * Exit code: 0 every suite ran and passed; 1 a suite failed; 2 bad options; 3 everything that ran
 * passed, but the wrk-based suites were skipped because wrk is missing.
 */
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { benchCommand, int, list, oneOf } from './lib/args.js'
import { benchDir, gatewayEntry, resultsDir } from './lib/paths.js'
import { wrkVersion } from './lib/wrk.js'

interface Suite {
  name: string
  file: string
  args: string[]
  quickArgs: string[]
  /** Needs wrk: skipped without it (or, for scale-out, run with these args instead). */
  wrk?: 'required' | { without: string[] }
}

const SUITES: Suite[] = [
  { name: 'signatures', file: 'signatures.ts', args: [], quickArgs: ['--runs', '3', '--ms', '100'] },
  {
    name: 'ingest',
    file: 'ingest.ts',
    args: [],
    quickArgs: ['--duration', '3', '--warmup', '1', '--runs', '1'],
    wrk: 'required',
  },
  {
    name: 'ingest-latency',
    file: 'ingest-latency.ts',
    args: [],
    quickArgs: ['--seconds', '3', '--warmup', '1', '--runs', '1', '--max-runs', '1'],
    wrk: 'required',
  },
  {
    name: 'e2e',
    file: 'e2e.ts',
    args: [],
    quickArgs: ['--seconds', '3', '--warmup', '1', '--runs', '1'],
  },
  {
    name: 'delivery-latency',
    file: 'delivery-latency.ts',
    args: ['--rates', '500,1000'],
    quickArgs: ['--rates', '500', '--seconds', '3', '--warmup', '1'],
  },
  {
    name: 'store-insert',
    file: 'store-insert.ts',
    args: [],
    quickArgs: ['--events', '20000', '--runs', '1'],
  },
  { name: 'deliver', file: 'deliver.ts', args: [], quickArgs: ['--events', '1000', '--runs', '1'] },
  {
    name: 'backlog-sqlite',
    file: 'backlog.ts',
    args: ['--store', 'sqlite'],
    quickArgs: ['--store', 'sqlite', '--events', '20000'],
  },
  {
    name: 'backlog-postgres',
    file: 'backlog.ts',
    args: ['--store', 'postgres'],
    quickArgs: ['--store', 'postgres', '--events', '20000'],
  },
  {
    name: 'retention',
    file: 'retention.ts',
    args: [],
    quickArgs: ['--old', '20000', '--seconds', '3', '--runs', '1'],
  },
  {
    name: 'events-page',
    file: 'events-page.ts',
    args: [],
    quickArgs: ['--events', '20000', '--runs', '5'],
  },
  {
    name: 'destination-attempts',
    file: 'destination-attempts.ts',
    args: [],
    quickArgs: ['--events', '20000', '--runs', '5'],
  },
  {
    name: 'catalog-stats',
    file: 'catalog-stats.ts',
    args: [],
    quickArgs: ['--events', '20000', '--runs', '5'],
  },
  {
    name: 'scale-out',
    file: 'scale-out.ts',
    args: [],
    quickArgs: ['--runs', '1', '--duration', '3', '--warmup', '1', '--backlog', '5000'],
    wrk: { without: ['--skip-ingest'] },
  },
]

function parse() {
  const suite = oneOf(SUITES.map((s) => s.name))
  const o = benchCommand('run-all.ts', 'Every benchmark, one after the other (npm run bench -- [options]).')
    .option('--quick', 'short smoke run of every suite (minutes, not an hour; numbers not for the docs)')
    .option('--only <list>', 'run only these suites', list(suite))
    .option('--skip <list>', 'skip these suites', list(suite))
    .option(
      '--quiet-wait <s>',
      'passed to every suite: wait up to this many seconds for a quiet machine before each measured run (default 30; --quick: 5)',
      int(0, 3600),
    )
    .option('--list', 'print the suites and their arguments, run nothing')
    .addHelpText(
      'after',
      `\nSuites: ${SUITES.map((s) => s.name).join(', ')}\n` +
        'Exit code: 0 all passed, 1 a suite failed, 2 bad options, 3 passed but wrk-based suites were skipped.',
    )
    .parse(process.argv.slice(2), { from: 'user' })
    .opts<{ quick?: true; only?: string[]; skip?: string[]; quietWait?: number; list?: true }>()
  const only = new Set(o.only)
  const skip = new Set(o.skip)
  return {
    quick: o.quick === true,
    list: o.list === true,
    quietWait: String(o.quietWait ?? (o.quick ? 5 : 30)),
    suites: SUITES.filter((s) => (only.size === 0 || only.has(s.name)) && !skip.has(s.name)),
  }
}

/** wrk present, or installed now (root + apt-get), or missing (with a message). */
function ensureWrk(): boolean {
  if (wrkVersion()) return true
  const root = process.getuid?.() === 0
  const apt = spawnSync('sh', ['-c', 'command -v apt-get'], { encoding: 'utf8' }).status === 0
  if (root && apt) {
    console.log(
      '[bench] wrk (the HTTP load generator) is missing; running as root with apt-get, so installing it:',
    )
    console.log('[bench]   apt-get install -y wrk')
    let res = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' })
    if (res.status !== 0) {
      console.log('[bench]   that failed; refreshing the package lists first: apt-get update')
      spawnSync('apt-get', ['update'], { stdio: 'inherit' })
      res = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' })
    }
    if (wrkVersion()) return true
    console.log('[bench] installing wrk failed.')
  }
  console.log(
    '[bench] wrk is not installed, so the ingest suites (ingest, ingest-latency, the ingest half of scale-out)\n' +
      '[bench] are skipped. Install it and run again:\n' +
      '[bench]   Debian/Ubuntu: sudo apt-get install -y wrk\n' +
      '[bench]   Fedora:        sudo dnf install wrk\n' +
      '[bench]   macOS:         brew install wrk\n' +
      '[bench]   from source:   https://github.com/wg/wrk (make; put wrk on PATH)',
  )
  return false
}

function runSuite(file: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(benchDir, file), ...args], {
      stdio: 'inherit',
      env: process.env,
    })
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    process.on('SIGINT', forward)
    process.on('SIGTERM', forward)
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward)
      process.off('SIGTERM', forward)
      resolve(code ?? (signal ? 128 : 1))
    })
  })
}

/** JSON results written since `since` (ms), newest last. */
function resultsSince(since: number, prefix: string): string[] {
  if (!existsSync(resultsDir)) return []
  return readdirSync(resultsDir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.json'))
    .map((f) => join(resultsDir, f))
    .filter((f) => statSync(f).mtimeMs >= since)
    .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs)
}

interface IngestJson {
  summaries: {
    target: string
    runs: number
    okRuns: number
    rps: { median: number; min: number; max: number }
    p50Ms: number
    p99Ms: number
    non2xx: number
    socketErrors: number
    serverCpuUsPerReq?: number
    databaseCpuUsPerReq?: number
    otherCoresMax?: number
    peakRssMb?: number
  }[]
  ratios: { name: string; value?: number; goal?: number; meetsGoal?: boolean }[]
}

/** bench/ingest.ts prints its table but stores only data; the same rows in Markdown. */
function ingestMarkdown(r: IngestJson): string {
  const int = (n: number) => Math.round(n).toLocaleString('en-US')
  const rows = [
    '| target | req/s median (min–max) | p50 ms | p99 ms | errors | srv CPU µs/req | other cores | peak RSS MB |',
    '|---|---|---|---|---|---|---|---|',
    ...r.summaries.map(
      (s) =>
        `| ${s.target}${s.okRuns < s.runs ? ` (${s.okRuns}/${s.runs} ok)` : ''} | ${int(s.rps.median)} (${int(s.rps.min)}–${int(s.rps.max)}) | ` +
        `${s.p50Ms.toFixed(2)} | ${s.p99Ms.toFixed(1)} | ${s.non2xx + s.socketErrors} | ` +
        `${s.serverCpuUsPerReq?.toFixed(0) ?? '–'}${s.databaseCpuUsPerReq === undefined ? '' : ` +${s.databaseCpuUsPerReq.toFixed(0)} db`} | ` +
        `${s.otherCoresMax?.toFixed(2) ?? '–'} | ${s.peakRssMb?.toFixed(0) ?? '–'} |`,
    ),
  ]
  const ratios = r.ratios.map(
    (x) =>
      `${x.name}: **${x.value?.toFixed(2)}×**${x.goal === undefined ? '' : ` (goal ≥ ${x.goal}: ${x.meetsGoal ? 'met' : 'not met'})`}`,
  )
  return `${rows.join('\n')}\n\nRatios of medians: ${ratios.join('; ')}`
}

async function main() {
  const o = parse()
  if (o.list) {
    for (const s of o.suites)
      console.log(
        `${s.name.padEnd(17)} npx tsx bench/${s.file} ${(o.quick ? s.quickArgs : s.args).join(' ')}`,
      )
    return 0
  }
  if (!existsSync(gatewayEntry)) {
    console.log(`[bench] ${gatewayEntry} is missing: building the gateway first (npm run build)`)
    const res = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' })
    if (res.status !== 0) {
      console.error('[bench] npm run build failed; the gateway suites cannot run')
      return 1
    }
  }
  const haveWrk = o.suites.some((s) => s.wrk) ? ensureWrk() : true
  const started = new Date()
  const outcomes: { name: string; code: number | 'skipped'; seconds: number; command: string }[] = []
  const markdown: string[] = [
    `# Benchmark run ${started.toISOString()}${o.quick ? ' (--quick: smoke sizes, not for publishing)' : ''}`,
    '',
  ]
  let ingestResults: string | undefined
  for (const suite of o.suites) {
    let args = [...(o.quick ? suite.quickArgs : suite.args), '--quiet-wait', o.quietWait]
    if (!haveWrk && suite.wrk === 'required') {
      console.log(`\n=== ${suite.name}: skipped (wrk is missing) ===`)
      outcomes.push({ name: suite.name, code: 'skipped', seconds: 0, command: '' })
      continue
    }
    if (!haveWrk && suite.wrk && suite.wrk !== 'required') args = [...args, ...suite.wrk.without]
    // Half load = half of the maxima the ingest suite just measured, when it ran.
    if (suite.name === 'ingest-latency' && ingestResults) args = [...args, '--max-from', ingestResults]
    const command = `npx tsx bench/${suite.file} ${args.join(' ')}`
    console.log(`\n=== ${suite.name}: ${command} ===`)
    const t0 = Date.now()
    const code = await runSuite(suite.file, args)
    const seconds = (Date.now() - t0) / 1000
    outcomes.push({ name: suite.name, code, seconds, command })
    const prefix = suite.name.startsWith('backlog') ? 'backlog-' : `${suite.name}-`
    const files = resultsSince(t0, prefix).filter(
      (f) => suite.name !== 'ingest' || !f.includes('ingest-latency'),
    )
    if (suite.name === 'ingest' && code === 0) ingestResults = files.at(-1)
    for (const f of files) {
      const report = JSON.parse(readFileSync(f, 'utf8')) as { markdown?: string }
      const md =
        report.markdown ?? (suite.name === 'ingest' ? ingestMarkdown(report as IngestJson) : undefined)
      markdown.push(`## ${suite.name}`, '', '```sh', command, '```', '', md ?? `(see ${f})`, '')
    }
  }
  console.log('\n=== summary ===')
  for (const r of outcomes) {
    const status = r.code === 'skipped' ? 'skipped (no wrk)' : r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`
    console.log(
      `${r.name.padEnd(17)} ${status.padEnd(18)} ${r.seconds ? `${(r.seconds / 60).toFixed(1)} min` : ''}`,
    )
  }
  await mkdir(resultsDir, { recursive: true })
  const out = join(resultsDir, `run-all-${started.toISOString().replace(/[:.]/g, '-')}.md`)
  await writeFile(out, `${markdown.join('\n')}\n`)
  console.log(`tables of this run: ${out}`)
  if (outcomes.some((r) => r.code !== 'skipped' && r.code !== 0)) return 1
  if (outcomes.some((r) => r.code === 'skipped')) return 3
  return 0
}

process.exitCode = await main()
