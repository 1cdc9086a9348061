/**
 * Paired A/B runs: two or more variants (gateway builds, gateway settings, baselines) measured
 * alternately under the same wrk load, with each run's CPU split by thread. For a change whose
 * effect is smaller than the machine's drift between invocations of bench/ingest.ts.
 *
 *   npx tsx bench/paired.ts --variant base=gateway-sqlite@/tmp/base/dist/cli/main.js \
 *     --variant new=gateway-sqlite [--variant floor=floor] [--env new:KEY=VALUE] [--rounds 5]
 *
 * A variant is NAME=TARGET[@ENTRY]: TARGET one of bench/ingest.ts's targets, ENTRY another
 * gateway CLI for the gateway targets (e.g. a `git worktree` of an older commit, built). Rounds
 * alternate A B C A B C …; the summary gives medians and the ratio of each variant's median req/s
 * to the first variant's. Per thread: the event loop (`main`) and every other thread of the
 * server process (`/proc/<pid>/task/*`), in CPU µs per answered request.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { type Command, InvalidArgumentError, Option } from 'commander'
import { collect } from '../src/cli/options.js'
import { benchCommand, int, quietWaitOption } from './lib/args.js'
import { ensureBenchKeys } from './lib/keys.js'
import { waitForQuiet } from './lib/machine.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { ensureRequestsFile } from './lib/requests-file.js'
import { freePort, startServer, waitUntilReady } from './lib/server-process.js'
import { median } from './lib/stats.js'
import { createTargets, TARGET_NAMES, type TargetName } from './lib/targets.js'
import { runWrk } from './lib/wrk.js'

interface Variant {
  name: string
  target: TargetName
  entry?: string
  env: Record<string, string>
}

/** `NAME=TARGET[@ENTRY]`. */
function parseVariant(spec: string, previous: Variant[]): Variant[] {
  const match = /^([\w.-]+)=([\w-]+)(?:@(.+))?$/.exec(spec)
  if (!match || !(TARGET_NAMES as readonly string[]).includes(match[2]!))
    throw new InvalidArgumentError(`"${spec}" is not NAME=TARGET[@ENTRY]`)
  return [...previous, { name: match[1]!, target: match[2] as TargetName, entry: match[3], env: {} }]
}

const command: Command = benchCommand(
  'paired.ts',
  'Paired A/B runs: two or more variants measured alternately under the same wrk load.',
)
  .addOption(
    new Option(
      '--variant <NAME=TARGET[@ENTRY]>',
      `TARGET: ${TARGET_NAMES.join(', ')}; ENTRY: a gateway CLI (default dist/cli/main.js); at least two`,
    )
      .argParser(parseVariant)
      .default([], 'none'),
  )
  .option('--env <NAME:KEY=VALUE>', 'extra env for one gateway variant, repeatable', collect)
  .option('--rounds <n>', 'alternating rounds', int(1, 50), 5)
  .option('--duration <s>', 'measured seconds per run, after a 2 s warm-up', int(1, 600), 8)
  .option('--connections <n>', 'wrk connections', int(1, 10_000), 50)
  .addOption(quietWaitOption())
  .parse(process.argv.slice(2), { from: 'user' })
const {
  rounds,
  duration,
  connections,
  quietWait,
  variant: variants,
  env = [],
} = command.opts<{
  rounds: number
  duration: number
  connections: number
  quietWait: number
  variant: Variant[]
  env?: string[]
}>()
if (variants.length < 2) command.error('give at least two --variant options')
for (const spec of env) {
  const match = /^([\w.-]+):([^=]+)=(.*)$/.exec(spec)
  const variant = match && variants.find((v) => v.name === match[1])
  if (!match || !variant) command.error(`--env "${spec}" is not NAME:KEY=VALUE for a known variant`)
  variant.env[match[2]!] = match[3]!
}

const CLOCK_TICKS = 100
/** CPU seconds per thread of a process; the event loop is the thread whose id is the pid. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const name =
        tid === String(pid)
          ? 'main'
          : `${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}+${Number(tid) - pid}`
      out.set(name, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS)
    } catch {
      // the thread ended between readdir and read
    }
  }
  return out
}

const keys = ensureBenchKeys()
const file = await ensureRequestsFile({ count: 200_000, seed: '1', rsaCount: 50_000, keys })
let pg: Promise<BenchPostgres> | undefined
const postgres = () => (pg ??= startBenchPostgres())

interface Run {
  rps: number
  p99Ms: number
  mainUs: number
  otherUs: number
}
const runs = new Map<string, Run[]>(variants.map((v) => [v.name, []]))
let start = 0
try {
  for (let round = 1; round <= rounds; round++) {
    for (const v of variants) {
      if (quietWait > 0) await waitForQuiet(0.2, quietWait)
      const target = createTargets({ path: '/webhooks/ghl', entry: v.entry })[v.target]
      const port = await freePort()
      const prepared = await target.prepare({ keys, port, run: round, postgres, gatewayEnv: v.env })
      const server = startServer({ ...prepared, port })
      try {
        await waitUntilReady(server, target.readyPath, 30_000)
        const common = {
          url: server.baseUrl + target.path,
          requestsFile: file.path,
          signature: target.signature,
          threads: 1,
          connections,
        }
        const warm = await runWrk({ ...common, start, durationSec: 2 })
        // Fresh bodies for every run: a repeated body would take the duplicate path.
        start = (start + warm.issued) % file.count
        const before = threadCpu(server.pid)
        const result = await runWrk({ ...common, start, durationSec: duration })
        const after = threadCpu(server.pid)
        start = (start + result.issued) % file.count
        const perRequest = [...after].map(
          ([name, sec]) => [name, ((sec - (before.get(name) ?? 0)) * 1e6) / result.requests] as const,
        )
        const main = perRequest.find(([name]) => name === 'main')?.[1] ?? 0
        const others = perRequest
          .filter(([name, us]) => name !== 'main' && us >= 1)
          .sort((a, b) => b[1] - a[1])
        const run = {
          rps: result.requestsPerSec,
          p99Ms: result.latencyUs.p99 / 1000,
          mainUs: main,
          otherUs: others.reduce((sum, [, us]) => sum + us, 0),
        }
        runs.get(v.name)!.push(run)
        const errors =
          result.errors.status +
          result.errors.connect +
          result.errors.read +
          result.errors.write +
          result.errors.timeout
        console.log(
          `${v.name.padEnd(12)} round ${round}: ${Math.round(run.rps).toLocaleString('en-US').padStart(6)} req/s  p99 ${run.p99Ms.toFixed(1)} ms  ` +
            `CPU µs/req: main ${main.toFixed(0)}, other threads ${run.otherUs.toFixed(0)} (${others
              .slice(0, 4)
              .map(([name, us]) => `${name} ${us.toFixed(0)}`)
              .join(', ')})${errors ? `  ERRORS ${errors}` : ''}`,
        )
      } finally {
        await server.stop()
        await prepared.cleanup()
      }
    }
  }
} finally {
  if (pg) await (await pg.catch(() => undefined))?.stop()
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US')
const baseRps = median(runs.get(variants[0]!.name)!.map((r) => r.rps))
console.log(
  `\nvariant       req/s median (min–max)   p99 ms  main µs/req  other threads µs/req  vs ${variants[0]!.name}`,
)
for (const v of variants) {
  const rs = runs.get(v.name)!
  const rps = rs.map((r) => r.rps)
  const m = median(rps)
  console.log(
    `${v.name.padEnd(12)}  ${fmt(m).padStart(6)} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))})`.padEnd(
      40,
    ) +
      `${median(rs.map((r) => r.p99Ms))
        .toFixed(1)
        .padStart(6)}  ${median(rs.map((r) => r.mainUs))
        .toFixed(0)
        .padStart(11)}  ` +
      `${median(rs.map((r) => r.otherUs))
        .toFixed(0)
        .padStart(20)}  ${(m / baseRps).toFixed(2)}×`,
  )
}
