/**
 * Where an ingesting gateway's event loop spends its time: `node --cpu-prof dist/cli/main.js serve`
 * on a fresh SQLite file (or `--store postgres`), wrk at saturation with the same signed requests as
 * the ingest suite, then the profile's self time grouped by area and by function.
 *
 *   npx tsx bench/profile-ingest.ts [--seconds 10] [--store sqlite|postgres] [--top 25]
 *
 * Not a benchmark (the profiler itself costs ~10 % of throughput): it says which part of the
 * request path to work on. The .cpuprofile stays in bench/results/ for Chrome DevTools.
 */

import { copyFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Option } from 'commander'
import { benchCommand, int } from './lib/args.js'
import { freshDatabase, type StoreKind } from './lib/gateway.js'
import { ensureBenchKeys } from './lib/keys.js'
import { gatewayEntry, resultsDir } from './lib/paths.js'
import { type BenchPostgres, startBenchPostgres } from './lib/postgres.js'
import { ensureRequestsFile } from './lib/requests-file.js'
import { freePort, startServer, waitUntilReady } from './lib/server-process.js'
import { runWrk } from './lib/wrk.js'

const o = benchCommand(
  'profile-ingest.ts',
  "Where an ingesting gateway's event loop spends its time (node --cpu-prof).",
)
  .option('--seconds <s>', 'seconds of wrk at saturation', int(1, 600), 10)
  .addOption(
    new Option('--store <s>', 'the store').choices(['sqlite', 'postgres'] as const).default('sqlite'),
  )
  .option('--top <n>', 'functions listed by self time', int(1, 1000), 25)
  .parse(process.argv.slice(2), { from: 'user' })
  .opts<{ seconds: number; store: StoreKind; top: number }>()

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface CpuProfile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

/** The request path's areas, by script URL; first match wins. */
const AREAS: [string, RegExp][] = [
  ['SQLite (better-sqlite3, store)', /better-sqlite3|\/store\//],
  ['PostgreSQL client (pg)', /node_modules\/pg/],
  ['signature verification', /crypto\/sig|\/verify\//],
  ['Fastify', /node_modules\/(fastify|@fastify|find-my-way|avvio|light-my-request|fast-json-stringify)/],
  ['logging (pino)', /node_modules\/(pino|sonic-boom|fast-redact|thread-stream)/],
  ['metrics (prom-client)', /prom-client/],
  ['classification (catalog)', /\/catalog\/|classify|zod/],
  ['receive (routes, body, ingestor)', /\/receive\/|\/observe\/|\/app\.js/],
  [
    'node:http, streams, net',
    /node:(_http|internal\/streams|net|internal\/stream_base|internal\/http|events)/,
  ],
  ['hashing, ids', /crypto\/hash|\/ids\.js/],
]

function summarize(profile: CpuProfile, top: number) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
  })
  const byArea = new Map<string, number>()
  const byFn = new Map<string, number>()
  for (const [id, us] of self) {
    const { functionName, url, lineNumber } = byId.get(id)!.callFrame
    const special = !url && /^\((idle|garbage collector|program)\)$/.test(functionName)
    const area = special
      ? functionName
      : (AREAS.find(([, re]) => re.test(url))?.[0] ?? (url ? 'other JavaScript' : 'native (no script)'))
    byArea.set(area, (byArea.get(area) ?? 0) + us)
    const where = url.replace(/^.*node_modules\//, '').replace(/^.*\/dist\//, 'dist/')
    const key = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`
    byFn.set(key, (byFn.get(key) ?? 0) + us)
  }
  const busy = total - (byArea.get('(idle)') ?? 0)
  const rows = (m: Map<string, number>, n: number) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(
        ([k, us]) =>
          `${((us / total) * 100).toFixed(1).padStart(5)} %  ${k === '(idle)' ? '' : `${((us / busy) * 100).toFixed(1).padStart(5)} % of busy  `}${k}`,
      )
  console.log(`\nEvent-loop thread, ${(total / 1e6).toFixed(1)} s sampled; by area:`)
  for (const line of rows(byArea, 20)) console.log(`  ${line}`)
  console.log(`\nTop ${top} functions by self time:`)
  for (const line of rows(byFn, top)) console.log(`  ${line}`)
}

const kind = o.store
const seconds = o.seconds
const keys = ensureBenchKeys()
const file = await ensureRequestsFile({ count: 200_000, seed: '1', rsaCount: 50_000, keys })
let pg: Promise<BenchPostgres> | undefined
const db = await freshDatabase(kind, () => {
  pg ??= startBenchPostgres()
  return pg
})
const profileDir = join(resultsDir, `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`)
mkdirSync(profileDir, { recursive: true })
const port = await freePort()
const server = startServer({
  command: process.execPath,
  args: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, gatewayEntry, 'serve'],
  env: {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: db.url,
    GHL_ED25519_PUBLIC_KEYS: keys.ed25519.publicSpkiB64,
    LOG_LEVEL: 'info',
  },
  port,
  stdoutFile: '/dev/null',
})
try {
  await waitUntilReady(server, '/readyz', 60_000)
  const result = await runWrk({
    url: `${server.baseUrl}/webhooks/ghl`,
    requestsFile: file.path,
    signature: 'ed25519',
    start: 0,
    threads: 1,
    connections: 50,
    durationSec: seconds,
  })
  console.log(
    `[profile] ${kind}: ${Math.round(result.requestsPerSec).toLocaleString('en-US')} req/s under the profiler, ` +
      `p99 ${(result.latencyUs.p99 / 1000).toFixed(1)} ms`,
  )
} finally {
  // SIGTERM: the gateway drains and exits normally, which is when --cpu-prof writes the profile.
  await server.stop()
  await db.drop()
  await (await pg?.catch(() => undefined))?.stop()
}
const profiles = readdirSync(profileDir).filter((f) => f.endsWith('.cpuprofile'))
if (profiles.length === 0) throw new Error(`no profile was written to ${profileDir}`)
const main = join(profileDir, profiles.sort()[0]!)
summarize(JSON.parse(readFileSync(main, 'utf8')) as CpuProfile, o.top)
copyFileSync(main, `${profileDir}.cpuprofile`)
console.log(`\n[profile] ${profileDir}.cpuprofile (open in Chrome DevTools → Performance)`)
