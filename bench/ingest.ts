/**
 * Ingest benchmark: how many signed GHL webhooks per second each target accepts on this machine.
 *
 *   npx tsx bench/ingest.ts [--duration 10] [--connections 50] [--runs 3]
 *                           [--targets bare,floor,guide,gateway-sqlite,gateway-pg]
 *
 * Every target runs as a child process on 127.0.0.1 and is measured with wrk replaying pre-signed,
 * unique requests (bench/wrk/replay.lua). Runs are interleaved (A B C A B C …) so slow drifts of
 * the machine spread over all targets; the report gives the median and min–max per target. See
 * bench/README.md for what each target is and how to read the ratios.
 */
import { statSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus, loadavg, totalmem } from 'node:os'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { InvalidArgumentError } from 'commander'
import {
  benchCommand,
  gatewayEnvOption,
  int,
  listOption,
  noSaveOption,
  oneOf,
  quietWaitOption,
} from './lib/args.js'
import { type BenchKeys, ensureBenchKeys } from './lib/keys.js'
import { readCpuTotals, waitForQuiet } from './lib/machine.js'
import { resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { probe } from './lib/probe.js'
import { formatReport, ratios, type Sample, summarize, type TargetSummary } from './lib/report.js'
import { ensureRequestsFile, type RequestsFile } from './lib/requests-file.js'
import {
  cpuSeconds,
  freePort,
  peakRssBytes,
  type ServerProcess,
  startServer,
  waitUntilReady,
} from './lib/server-process.js'
import { createTargets, TARGET_NAMES, type Target, type TargetName } from './lib/targets.js'
import { runWrk, wrkVersion } from './lib/wrk.js'

export interface IngestOptions {
  targets: TargetName[]
  durationSec: number
  warmupSec: number
  connections: number
  threads: number
  runs: number
  requests: number
  rsaRequests: number
  seed: string
  gatewayPath: string
  gatewayEntry?: string
  gatewayEnv: Record<string, string>
  logFile?: string
  quietWaitSec: number
  save: boolean
}

export function parseIngestArgs(argv: string[]): IngestOptions {
  const o = benchCommand('ingest.ts', 'Ingest: how many signed GHL webhooks per second each target accepts.')
    .addOption(
      listOption('--targets <list>', 'comma-separated, in run order', oneOf(TARGET_NAMES), [...TARGET_NAMES]),
    )
    .option('--duration <s>', 'measured seconds per run', int(1, 600), 10)
    .option('--warmup <s>', 'warm-up seconds before each measured run, same server; 0 = none', int(0, 60), 2)
    .option('--connections <n>', 'wrk connections', int(1, 10_000), 50)
    .option(
      '--threads <n>',
      'wrk threads (1: the machine has 2 cores and the server needs one)',
      int(1, 64),
      1,
    )
    .option('--runs <n>', 'runs per target, interleaved A B C A B C …', int(1, 50), 3)
    .option('--requests <n>', 'signed requests in the replay file', int(1000, 5_000_000), 200_000)
    .option(
      '--rsa-requests <n>',
      'how many of them also carry an RSA-4096 signature',
      int(100, 5_000_000),
      50_000,
    )
    .option('--seed <s>', 'body generator seed; (requests, seed) key the cache', seed, '1')
    .option('--gateway-path <path>', 'webhook route of the gateway', '/webhooks/ghl')
    .option('--gateway-entry <file>', 'gateway CLI to run as `node <file> serve` (default dist/cli/main.js)')
    .addOption(gatewayEnvOption('extra env for gateway targets, repeatable (e.g. DURABILITY=fsync)'))
    .addOption(quietWaitOption('before each run (< 0.2 cores busy); 0 = do not wait'))
    .option('--log-file <path>', 'append gateway logs (stdout) here instead of /dev/null')
    .addOption(noSaveOption('ingest'))
    .parse(argv, { from: 'user' })
    .opts()
  return {
    targets: o.targets,
    durationSec: o.duration,
    warmupSec: o.warmup,
    connections: o.connections,
    threads: o.threads,
    runs: o.runs,
    requests: o.requests,
    rsaRequests: o.rsaRequests,
    seed: o.seed,
    gatewayPath: o.gatewayPath,
    gatewayEntry: o.gatewayEntry === undefined ? undefined : resolve(o.gatewayEntry),
    gatewayEnv: o.gatewayEnv,
    logFile: o.logFile,
    quietWaitSec: o.quietWait,
    save: o.save,
  }
}

function seed(text: string): string {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(text)) throw new InvalidArgumentError('must be 1–32 of [A-Za-z0-9_-]')
  return text
}

interface RunContext {
  o: IngestOptions
  keys: BenchKeys
  file: RequestsFile
  postgres(): Promise<BenchPostgres>
  onServer(server: ServerProcess | undefined): void
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')

function loud(message: string): void {
  console.error(`\n!!! ${message.split('\n').join('\n!!! ')}\n`)
}

/** Other processes using more than this many cores make a run suspect. */
const BUSY_THRESHOLD = 0.2

async function measure(target: Target, run: number, ctx: RunContext): Promise<Sample> {
  const { o } = ctx
  const busyBefore = o.quietWaitSec > 0 ? await waitForQuiet(BUSY_THRESHOLD, o.quietWaitSec) : undefined
  if (busyBefore !== undefined && busyBefore >= BUSY_THRESHOLD) {
    loud(
      `${target.name} run ${run}: other processes keep ${busyBefore.toFixed(2)} cores busy; numbers will be low`,
    )
  }
  const port = await freePort()
  const prepared = await target.prepare({
    keys: ctx.keys,
    port,
    run,
    postgres: ctx.postgres,
    logFile: o.logFile,
    gatewayEnv: o.gatewayEnv,
  })
  const logSizeBefore = o.logFile && prepared.stdoutFile === o.logFile ? fileSize(o.logFile) : undefined
  const server = startServer({ ...prepared, port })
  ctx.onServer(server)
  const sample: Sample = { target: target.name, run, ok: false, busyCoresBefore: busyBefore }
  try {
    await waitUntilReady(server, target.readyPath, 30_000)
    sample.probe = await probe(server.baseUrl, target, ctx.keys)
    if (!sample.probe.ok) throw new Error(`probe failed: ${sample.probe.problems.join('; ')}`)

    const url = server.baseUrl + target.path
    const common = { url, requestsFile: ctx.file.path, signature: target.signature, threads: o.threads }
    let start = 0
    if (o.warmupSec > 0) {
      const warm = await runWrk({ ...common, start: 0, connections: o.connections, durationSec: o.warmupSec })
      sample.warmup = {
        requests: warm.requests,
        issued: warm.issued,
        requestsPerSec: warm.requestsPerSec,
        wrapped: warm.wrapped,
        errors: warm.errors,
      }
      start = warm.issued
    }
    sample.startIndex = start
    const cpuBefore = cpuSeconds(server.pid)
    const dbCpuBefore = prepared.databaseCpuSeconds?.()
    const machineBefore = readCpuTotals()
    const result = await runWrk({ ...common, start, connections: o.connections, durationSec: o.durationSec })
    const machineAfter = readCpuTotals()
    const cpuAfter = cpuSeconds(server.pid)
    const dbCpuAfter = prepared.databaseCpuSeconds?.()
    if (dbCpuBefore !== undefined && dbCpuAfter !== undefined)
      sample.databaseCpuSec = dbCpuAfter - dbCpuBefore
    sample.result = result
    sample.peakRssBytes = peakRssBytes(server.pid)
    if (cpuBefore !== undefined && cpuAfter !== undefined) sample.serverCpuSec = cpuAfter - cpuBefore
    // Everything the machine's processes used while wrk lived, minus wrk, the server and its
    // database: a build or a test run next to the benchmark shows up here.
    const wallSec = (machineAfter.totalSec - machineBefore.totalSec) / cpus().length
    if (sample.serverCpuSec !== undefined && wallSec > 0) {
      const ours = sample.serverCpuSec + result.wrkTotalCpuSec + (sample.databaseCpuSec ?? 0)
      sample.otherCores = Math.max(0, (machineAfter.processSec - machineBefore.processSec - ours) / wallSec)
    }

    const exit = server.exited()
    if (exit) throw new Error(`server exited during the run (code ${exit.code}, signal ${exit.signal})`)
    const e = result.errors
    const socket = e.connect + e.read + e.write + e.timeout
    if (e.status > 0 || socket > 0) {
      sample.afterProbe = await probe(server.baseUrl, target, ctx.keys).catch((err: Error) => ({
        ok: false,
        valid: { status: 0, body: err.message },
        tampered: { status: 0, body: '' },
        problems: [err.message],
      }))
      loud(
        `${target.name} run ${run}: ${e.status} non-2xx responses and ${socket} socket errors ` +
          `(connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout}) ` +
          `of ${fmt(result.requests)} requests.\n` +
          `A signed request sent right after the load got ${sample.afterProbe.valid.status}: ${sample.afterProbe.valid.body}`,
      )
    }
    const repeated = result.wrapped > 0 || (sample.warmup?.wrapped ?? 0) > 0
    if (repeated && target.dedupes) {
      loud(
        `${target.name} run ${run}: wrk ran past the ${fmt(result.loaded)} requests in the file, so some bodies ` +
          `were sent twice and measured the duplicate path. Raise ${target.signature === 'rsa' ? '--rsa-requests' : '--requests'}.`,
      )
    }
    sample.ok = true
    const other =
      sample.otherCores !== undefined && sample.otherCores >= BUSY_THRESHOLD
        ? `  [NOISY: other processes used ${sample.otherCores.toFixed(2)} cores]`
        : ''
    const cpuUs =
      sample.serverCpuSec === undefined
        ? ''
        : `, server ${((sample.serverCpuSec / result.requests) * 1e6).toFixed(0)} µs CPU/req`
    console.log(
      `  ${target.name.padEnd(15)} ${fmt(result.requestsPerSec).padStart(7)} req/s  ` +
        `p50 ${(result.latencyUs.p50 / 1000).toFixed(2)} ms  p99 ${(result.latencyUs.p99 / 1000).toFixed(2)} ms  ` +
        `non-2xx ${e.status}  socket errors ${socket}${cpuUs}, wrk ${(result.wrkCpuSec / (result.durationUs / 1e6)).toFixed(2)} cores` +
        (repeated && target.dedupes ? ' (bodies repeated: some duplicates)' : '') +
        other,
    )
  } catch (err) {
    sample.error = (err as Error).message
    loud(`${target.name} run ${run} failed: ${sample.error}`)
  } finally {
    await server.stop()
    ctx.onServer(undefined)
    await prepared.cleanup()
    if (logSizeBefore !== undefined && o.logFile) sample.logBytes = fileSize(o.logFile) - logSizeBefore
  }
  return sample
}

function fileSize(path: string): number {
  try {
    return statSync(path).size
  } catch {
    return 0
  }
}

export interface IngestReport {
  kind: 'ingest'
  startedAt: string
  finishedAt: string
  machine: {
    cpus: number
    cpuModel: string
    memoryGb: number
    node: string
    wrk: string | undefined
    loadavgBefore: number[]
  }
  options: IngestOptions
  requestsFile: RequestsFile
  skipped: Record<string, string>
  samples: Sample[]
  summaries: TargetSummary[]
  ratios: ReturnType<typeof ratios>
}

export async function runIngest(o: IngestOptions): Promise<IngestReport> {
  const wrk = wrkVersion()
  if (!wrk) throw new Error('wrk is not installed: apt-get install -y wrk')
  const startedAt = new Date()
  const loadavgBefore = loadavg()
  const targets = createTargets({ path: o.gatewayPath, entry: o.gatewayEntry })

  const skipped: Record<string, string> = {}
  const active = o.targets.filter((name) => {
    const why = targets[name].unavailable?.()
    if (why) {
      skipped[name] = why
      console.log(`[ingest] skipping ${name}: ${why}`)
    }
    return !why
  })

  const keys = ensureBenchKeys()
  const file = await ensureRequestsFile({ count: o.requests, seed: o.seed, rsaCount: o.rsaRequests, keys })

  let pg: Promise<BenchPostgres> | undefined
  let current: ServerProcess | undefined
  const cleanupAndExit = async (signal: string) => {
    console.error(`\n[ingest] ${signal}: stopping`)
    await current?.stop(2000)
    await (await pg?.catch(() => undefined))?.stop()
    process.exit(130)
  }
  const onSignal = (signal: string) => void cleanupAndExit(signal)
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)

  const ctx: RunContext = {
    o,
    keys,
    file,
    postgres: () => {
      pg ??= (async () => {
        console.log('[ingest] starting embedded PostgreSQL …')
        return startBenchPostgres()
      })()
      return pg
    },
    onServer: (server) => {
      current = server
    },
  }

  console.log(
    `[ingest] ${active.join(', ') || 'no targets'}: ${o.runs} run(s) × (${o.warmupSec}s warm-up + ${o.durationSec}s), ` +
      `wrk -t${o.threads} -c${o.connections}, ${cpus().length} CPUs, ${wrk}`,
  )
  const samples: Sample[] = []
  try {
    for (let run = 1; run <= o.runs; run++) {
      console.log(`[ingest] run ${run}/${o.runs}`)
      for (const name of active) samples.push(await measure(targets[name], run, ctx))
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (pg) await (await pg.catch(() => undefined))?.stop()
  }

  const summaries = active.map((name) => summarize(name, samples)).filter((s): s is TargetSummary => !!s)
  const byName = new Map(summaries.map((s) => [s.target, s]))
  const computed = ratios(byName)
  console.log(`\n${formatReport(summaries, computed)}\n`)
  const failed = samples.filter((s) => !s.ok)
  if (failed.length > 0)
    loud(`${failed.length} run(s) failed: ${failed.map((s) => `${s.target}#${s.run}`).join(', ')}`)
  const erroring = summaries.filter((s) => s.non2xx + s.socketErrors > 0)
  if (erroring.length > 0) {
    loud(
      `errors during load: ${erroring.map((s) => `${s.target}: ${s.non2xx} non-2xx, ${s.socketErrors} socket`).join('; ')}`,
    )
  }

  const report: IngestReport = {
    kind: 'ingest',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      memoryGb: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      wrk,
      loadavgBefore,
    },
    options: o,
    requestsFile: file,
    skipped,
    samples,
    summaries,
    ratios: computed,
  }
  if (o.save) {
    await mkdir(resultsDir, { recursive: true })
    const out = join(resultsDir, `ingest-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`[ingest] raw results: ${out}`)
  }
  return report
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    const report = await runIngest(parseIngestArgs(process.argv.slice(2)))
    process.exitCode = report.samples.every((s) => s.ok) ? 0 : 1
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
