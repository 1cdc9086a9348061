/**
 * Signature microbenchmarks: µs per verification of one ~580-byte GHL body, for every scheme the
 * gateway verifies, through the project's own verifiers (src/verify) and next to the bare
 * node:crypto call each one is built on (the baseline: what the scheme itself costs).
 *
 *   npx tsx bench/signatures.ts [--runs 5] [--ms 300]
 *
 * Sync rows: one verification at a time on the main thread, µs per call (median of runs, min–max).
 * Async rows: 1, 4 and 16 verifications in flight; wall µs per verification (1e6 / throughput)
 * and CPU µs per verification (all threads). The baseline is `crypto.verify` with a callback (OpenSSL
 * on libuv's pool, UV_THREADPOOL_SIZE threads, default 4); the gateway checks Ed25519 with libsodium
 * on its one verification thread (src/verify/ed25519-thread.ts). This machine only has the cores it has.
 */
import {
  createHmac,
  createPublicKey,
  type KeyObject,
  randomBytes,
  sign,
  timingSafeEqual,
  verify,
} from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import { cpus } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ed25519Backend, verifyEd25519 } from '../src/verify/ed25519-check.mjs'
import { createGhlVerifier } from '../src/verify/ghl.js'
import { GHL_ED25519_PUBLIC_KEY_SPKI_BASE64, GHL_RSA_PUBLIC_KEY_PEM } from '../src/verify/ghl-keys.js'
import { createHmacVerifier } from '../src/verify/hmac.js'
import { keyId } from '../src/verify/keys.js'
import { createStandardWebhooksVerifier, signStandardWebhook } from '../src/verify/standard-webhooks.js'
import type { TrustedKey, Verifier, VerifyRequest } from '../src/verify/types.js'
import { benchCommand, int, noSaveOption, quietWaitOption } from './lib/args.js'
import { createBodyGenerator } from './lib/ghl-body.js'
import { ensureBenchKeys } from './lib/keys.js'
import { BUSY_THRESHOLD, cpuWindow, machineFacts, quietOrWarn } from './lib/machine.js'
import { resultsDir } from './lib/paths.js'
import { fmtSpread, formatTable, markdownTable, type Spread, spread } from './lib/stats.js'

export interface SignaturesOptions {
  runs: number
  ms: number
  quietWaitSec: number
  save: boolean
}

export function parseSignaturesArgs(argv: string[]): SignaturesOptions {
  const o = benchCommand(
    'signatures.ts',
    'Signature microbenchmarks: µs per verification of one GHL body, for every scheme.',
  )
    .option('--runs <n>', 'runs per row', int(1, 50), 5)
    .option('--ms <n>', 'target duration of one run, in ms', int(20, 10_000), 300)
    .addOption(quietWaitOption('first'))
    .addOption(noSaveOption('signatures'))
    .parse(argv, { from: 'user' })
    .opts()
  return { runs: o.runs, ms: o.ms, quietWaitSec: o.quietWait, save: o.save }
}

interface Row {
  scheme: string
  what: string
  /** Wall µs per verification. */
  us: Spread
  /** CPU µs per verification (all threads); only for async rows. */
  cpuUs?: Spread
  inFlight?: number
}

/** µs per call of a synchronous function: calibrate to ~ms per run, then `runs` runs. */
function timeSync(fn: () => unknown, o: SignaturesOptions): Spread {
  let n = 1
  for (;;) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn()
    const ms = performance.now() - t
    if (ms > 20) {
      n = Math.max(1, Math.round((n * o.ms) / ms))
      break
    }
    n *= 4
  }
  const results: number[] = []
  for (let r = 0; r < o.runs; r++) {
    const t = performance.now()
    for (let i = 0; i < n; i++) fn()
    results.push(((performance.now() - t) * 1000) / n)
  }
  return spread(results)
}

/** Wall and CPU µs per call of an async function with `inFlight` calls outstanding at all times. */
async function timeAsync(
  fn: () => Promise<unknown>,
  inFlight: number,
  o: SignaturesOptions,
): Promise<{ us: Spread; cpuUs: Spread }> {
  const runOnce = async (count: number) => {
    let next = 0
    const cpu0 = process.cpuUsage()
    const t = performance.now()
    const lane = async () => {
      while (next < count) {
        next++
        await fn()
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane))
    const wallUs = (performance.now() - t) * 1000
    const cpu = process.cpuUsage(cpu0)
    return { us: wallUs / count, cpuUs: (cpu.user + cpu.system) / count }
  }
  let n = 64
  for (;;) {
    const { us } = await runOnce(n)
    if ((us * n) / 1000 > 20) {
      n = Math.max(inFlight, Math.round((o.ms * 1000) / us))
      break
    }
    n *= 4
  }
  const wall: number[] = []
  const cpu: number[] = []
  for (let r = 0; r < o.runs; r++) {
    const x = await runOnce(n)
    wall.push(x.us)
    cpu.push(x.cpuUs)
  }
  return { us: spread(wall), cpuUs: spread(cpu) }
}

function mustVerify(verifier: Verifier, request: VerifyRequest, label: string) {
  const outcome = verifier.verify(request)
  if (!outcome.ok)
    throw new Error(`${label}: the fixture does not verify (${outcome.code}: ${outcome.message})`)
}

export async function runSignatures(o: SignaturesOptions) {
  const startedAt = new Date()
  const keys = ensureBenchKeys()
  const body = Buffer.from(createBodyGenerator('signatures', Date.now()).body(0))
  const now = Date.now()
  const edPublic: KeyObject = createPublicKey(keys.ed25519.privateKey)
  const rsaPublic: KeyObject = createPublicKey(keys.rsa.privateKey)
  const edSig = sign(null, body, keys.ed25519.privateKey)
  const rsaSig = sign('sha256', body, keys.rsa.privateKey)
  const ghlEd: TrustedKey = {
    id: 'ghl-ed25519-builtin',
    key: createPublicKey({
      key: Buffer.from(GHL_ED25519_PUBLIC_KEY_SPKI_BASE64, 'base64'),
      format: 'der',
      type: 'spki',
    }),
  }
  const ghlRsa: TrustedKey = { id: 'ghl-rsa-builtin', key: createPublicKey(GHL_RSA_PUBLIC_KEY_PEM) }
  const testEd: TrustedKey = { id: keyId('ed25519', edPublic), key: edPublic }
  const testRsa: TrustedKey = { id: keyId('rsa', rsaPublic), key: rsaPublic }

  // As the gateway builds it: GHL's built-in keys first, then the extra (test) keys from the env.
  const ghl = createGhlVerifier({ ed25519: [ghlEd, testEd], rsa: [ghlRsa, testRsa] })
  const edRequest: VerifyRequest = {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-ghl-signature': edSig.toString('base64') },
    now,
  }
  const rsaRequest: VerifyRequest = {
    rawBody: body,
    headers: { 'content-type': 'application/json', 'x-wh-signature': rsaSig.toString('base64') },
    now,
  }
  // A real signature of another body: every key runs the whole check. (Random bytes would be
  // cheaper to reject — most are not a canonical encoding — and flatter the number.)
  const otherBody = Buffer.from(createBodyGenerator('signatures-other', Date.now()).body(0))
  const forged: VerifyRequest = {
    rawBody: body,
    headers: { 'x-ghl-signature': sign(null, otherBody, keys.ed25519.privateKey).toString('base64') },
    now,
  }
  // Only the key that signed: what GHL's own traffic costs with GHL's key (one check per request).
  const rsaOnly = createGhlVerifier({ ed25519: [testEd], rsa: [testRsa] })

  const hmacSecret = randomBytes(32)
  const hmac = createHmacVerifier({
    header: 'x-hub-signature-256',
    prefix: 'sha256=',
    secrets: [{ id: 'secret[0]', value: hmacSecret }],
  })
  const hmacHex = createHmac('sha256', hmacSecret).update(body).digest('hex')
  const hmacRequest: VerifyRequest = {
    rawBody: body,
    headers: { 'x-hub-signature-256': `sha256=${hmacHex}` },
    now,
  }

  const swSecret = randomBytes(24)
  const sw = createStandardWebhooksVerifier({ secrets: [{ id: 'secret[0]', value: swSecret }] })
  const swId = 'msg_2Lq5Yx0example'
  const swTs = Math.floor(now / 1000)
  const swRequest: VerifyRequest = {
    rawBody: body,
    headers: {
      'webhook-id': swId,
      'webhook-timestamp': String(swTs),
      'webhook-signature': signStandardWebhook(swSecret, swId, swTs, body),
    },
    now,
  }

  mustVerify(ghl, edRequest, 'GHL Ed25519')
  mustVerify(ghl, rsaRequest, 'GHL RSA')
  mustVerify(rsaOnly, rsaRequest, 'GHL RSA (one key)')
  mustVerify(hmac, hmacRequest, 'HMAC')
  mustVerify(sw, swRequest, 'Standard Webhooks')
  if (ghl.verify(forged).ok) throw new Error('a forged signature verified')

  await quietOrWarn('signatures', o.quietWaitSec)
  const window = cpuWindow()
  console.log(
    `[signatures] body ${body.length} bytes, ${o.runs} runs × ~${o.ms} ms per row, ` +
      `UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, ${cpus().length} CPUs`,
  )
  const rows: Row[] = []
  const add = (scheme: string, what: string, us: Spread, extra: Partial<Row> = {}) => {
    rows.push({ scheme, what, us, ...extra })
    const cpu = extra.cpuUs ? `, CPU ${fmtSpread(extra.cpuUs)} µs` : ''
    console.log(`  ${scheme.padEnd(18)} ${what.padEnd(58)} ${fmtSpread(us)} µs${cpu}`)
  }

  const hmacExpected = Buffer.from(hmacHex, 'hex')
  add(
    'Ed25519',
    'baseline: crypto.verify, KeyObject',
    timeSync(() => verify(null, body, edPublic, edSig), o),
  )
  const edRaw = Buffer.from(edPublic.export({ format: 'jwk' }).x!, 'base64url')
  add(
    'Ed25519',
    `${ed25519Backend} (the gateway's check), raw 32-byte key`,
    timeSync(() => verifyEd25519(body, edSig, edRaw), o),
  )
  add(
    'Ed25519',
    'GHL verifier, sync (matching key tried first)',
    timeSync(() => ghl.verify(edRequest), o),
  )
  add(
    'Ed25519',
    'GHL verifier, sync, wrong signature (both keys tried)',
    timeSync(() => ghl.verify(forged), o),
  )
  for (const inFlight of [1, 4, 16]) {
    const raw = await timeAsync(
      () =>
        new Promise<boolean>((resolve, reject) =>
          verify(null, body, edPublic, edSig, (error, ok) => (error ? reject(error) : resolve(ok))),
        ),
      inFlight,
      o,
    )
    add('Ed25519', `baseline: crypto.verify with callback, ${inFlight} in flight`, raw.us, {
      cpuUs: raw.cpuUs,
      inFlight,
    })
    const gw = await timeAsync(() => ghl.verifyAsync!(edRequest), inFlight, o)
    add('Ed25519', `GHL verifier, async (verification thread), ${inFlight} in flight`, gw.us, {
      cpuUs: gw.cpuUs,
      inFlight,
    })
  }
  add(
    'RSA-4096',
    'baseline: crypto.verify, KeyObject',
    timeSync(() => verify('sha256', body, rsaPublic, rsaSig), o),
  )
  add(
    'RSA-4096',
    'guide: crypto.verify with the PEM string (parsed per call)',
    timeSync(() => verify('sha256', body, keys.rsa.publicPem, rsaSig), o),
  )
  add(
    'RSA-4096',
    'GHL verifier, legacy X-WH-Signature, signing key only',
    timeSync(() => rsaOnly.verify(rsaRequest), o),
  )
  add(
    'RSA-4096',
    "GHL verifier, GHL's key tried first (test-signed: 2 checks)",
    timeSync(() => ghl.verify(rsaRequest), o),
  )
  add(
    'HMAC-SHA256',
    'baseline: createHmac + timingSafeEqual',
    timeSync(() => timingSafeEqual(createHmac('sha256', hmacSecret).update(body).digest(), hmacExpected), o),
  )
  add(
    'HMAC-SHA256',
    'HMAC verifier (sha256=<hex> header)',
    timeSync(() => hmac.verify(hmacRequest), o),
  )
  const swExpected = Buffer.from((swRequest.headers['webhook-signature'] as string).slice(3), 'base64')
  add(
    'Standard Webhooks',
    'baseline: HMAC of id.timestamp.body + timingSafeEqual',
    timeSync(
      () =>
        timingSafeEqual(
          createHmac('sha256', swSecret).update(`${swId}.${swTs}.`).update(body).digest(),
          swExpected,
        ),
      o,
    ),
  )
  add(
    'Standard Webhooks',
    'Standard Webhooks verifier',
    timeSync(() => sw.verify(swRequest), o),
  )
  const w = window.stop()

  const baselineOf = (r: Row) =>
    rows.find((b) => b.scheme === r.scheme && b.what.startsWith('baseline') && b.inFlight === r.inFlight)
  const table = [
    ['scheme', 'what', 'µs / verify (wall)', 'verifies/s', 'CPU µs / verify', 'vs baseline'],
    ...rows.map((r) => {
      const b = baselineOf(r)
      return [
        r.scheme,
        r.what,
        fmtSpread(r.us),
        Math.round(1e6 / r.us.median).toLocaleString('en-US'),
        r.cpuUs ? fmtSpread(r.cpuUs) : '–',
        b && b !== r ? `${(r.us.median / b.us.median).toFixed(2)}×` : '–',
      ]
    }),
  ]
  console.log(
    `\nSignature verification, ${body.length}-byte body (median of ${o.runs} runs, min–max)\n${formatTable(table, 2)}`,
  )
  console.log(
    `machine during the run: other processes ${w.otherCores.toFixed(2)} cores${w.otherCores >= BUSY_THRESHOLD ? ' [NOISY]' : ''}`,
  )
  const report = {
    kind: 'signatures',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: machineFacts(),
    options: o,
    bodyBytes: body.length,
    otherCores: w.otherCores,
    rows,
    markdown: markdownTable(table),
  }
  if (o.save) {
    await mkdir(resultsDir, { recursive: true })
    const out = join(resultsDir, `signatures-${startedAt.toISOString().replace(/[:.]/g, '-')}.json`)
    await writeFile(out, `${JSON.stringify(report, null, 2)}\n`)
    console.log(`[signatures] raw results: ${out}`)
  }
  return { ok: true, report }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href
if (isMain) {
  try {
    await runSignatures(parseSignaturesArgs(process.argv.slice(2)))
  } catch (err) {
    console.error((err as Error).message)
    process.exitCode = 2
  }
}
