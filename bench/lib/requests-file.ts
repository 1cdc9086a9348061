import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  renameSync,
  statSync,
  writeSync,
} from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { Worker } from 'node:worker_threads'
import { createBodyGenerator } from './ghl-body.js'
import type { BenchKeys } from './keys.js'
import { cacheDir } from './paths.js'

/**
 * The signed requests replayed by `bench/wrk/replay.lua`.
 *
 * Format (text, loaded line by line by LuaJIT's buffered `f:read('*l')`, ~1 s for 200k requests):
 * ```
 * #ghl-bench-requests v1 count=<n> rsa=<m> seed=<s> keys=<fingerprint> generated=<iso>
 * <body: compact JSON, one line>          ┐
 * <x-ghl-signature: base64 Ed25519>      ├ one record per request, n records
 * <x-wh-signature: base64 RSA, or empty> ┘  (only the first m records carry an RSA signature)
 * ```
 * Compact JSON never contains a raw newline, so no escaping is needed.
 *
 * RSA-4096 signing costs ~3.4–5 ms per body (Ed25519: ~25 µs), so only the first `rsaCount` bodies are
 * RSA-signed: the guide baseline runs at ~3k req/s and needs ~36k per 12 s (warm-up + run). Signing
 * is spread over worker threads; the file is cached under `bench/.cache/` keyed by
 * (count, seed, rsaCount, key fingerprint).
 */
export interface RequestsFile {
  path: string
  count: number
  rsaCount: number
  seed: string
}

export interface RequestsFileOptions {
  count: number
  seed: string
  rsaCount: number
  keys: BenchKeys
}

export function requestsFilePath(o: Omit<RequestsFileOptions, 'keys'> & { fingerprint: string }): string {
  return join(cacheDir, `requests-n${o.count}-s${o.seed}-rsa${o.rsaCount}-k${o.fingerprint}.txt`)
}

interface WorkerResult {
  edSigs: string[]
  rsaSigs: string[]
}

function signSlice(
  bodies: string[],
  rsaCount: number,
  keys: BenchKeys,
  onProgress: (n: number) => void,
): Promise<WorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./sign-worker.mjs', import.meta.url), {
      workerData: {
        bodies,
        rsaCount,
        edPrivatePem: keys.ed25519.privatePem,
        rsaPrivatePem: keys.rsa.privatePem,
      },
    })
    worker.on('message', (msg: { progress: number } & Partial<WorkerResult>) => {
      onProgress(msg.progress)
      if (msg.edSigs && msg.rsaSigs) resolve({ edSigs: msg.edSigs, rsaSigs: msg.rsaSigs })
    })
    worker.on('error', reject)
    worker.on('exit', (code) => {
      if (code !== 0) reject(new Error(`sign worker exited with code ${code}`))
    })
  })
}

/** Returns the cached requests file for these options, generating it first when missing. */
export async function ensureRequestsFile(o: RequestsFileOptions): Promise<RequestsFile> {
  const rsaCount = Math.min(o.rsaCount, o.count)
  const path = requestsFilePath({ count: o.count, seed: o.seed, rsaCount, fingerprint: o.keys.fingerprint })
  const result = { path, count: o.count, rsaCount, seed: o.seed }
  if (existsSync(path)) {
    console.log(`[requests] using cached ${path} (${(statSync(path).size / 1e6).toFixed(0)} MB)`)
    return result
  }

  const started = Date.now()
  const generator = createBodyGenerator(o.seed, started)
  const bodies = Array.from({ length: o.count }, (_, i) => generator.body(i))
  const workers = Math.max(1, availableParallelism())
  const slices = Array.from({ length: workers }, (_, w) => bodies.filter((_, i) => i % workers === w))
  console.log(
    `[requests] signing ${o.count} bodies with Ed25519 and the first ${rsaCount} with RSA-4096 ` +
      `on ${workers} worker threads (RSA takes ~${Math.ceil((rsaCount * 5) / 1000 / workers)} s) …`,
  )
  let signed = 0
  let lastLog = Date.now()
  const progress = (n: number) => {
    signed += n
    if (Date.now() - lastLog > 5000) {
      console.log(`[requests]   ${signed}/${o.count} signed`)
      lastLog = Date.now()
    }
  }
  const parts = await Promise.all(
    slices.map((slice, w) =>
      signSlice(slice, Math.max(0, Math.ceil((rsaCount - w) / workers)), o.keys, progress),
    ),
  )

  mkdirSync(cacheDir, { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  const fd = openSync(tmp, 'w')
  try {
    const header =
      `#ghl-bench-requests v1 count=${o.count} rsa=${rsaCount} seed=${o.seed} ` +
      `keys=${o.keys.fingerprint} generated=${new Date(started).toISOString()}\n`
    writeSync(fd, header)
    let chunk: string[] = []
    for (let i = 0; i < o.count; i++) {
      const part = parts[i % workers]!
      const k = Math.floor(i / workers)
      chunk.push(bodies[i]!, part.edSigs[k]!, part.rsaSigs[k]!)
      if (chunk.length >= 30_000) {
        writeSync(fd, `${chunk.join('\n')}\n`)
        chunk = []
      }
    }
    if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`)
  } finally {
    closeSync(fd)
  }
  renameSync(tmp, path)
  console.log(`[requests] wrote ${path} in ${((Date.now() - started) / 1000).toFixed(1)} s`)
  return result
}

/** One signed request read back from the requests file. */
export interface SignedRequest {
  body: Buffer
  /** Base64 Ed25519 signature (`x-ghl-signature`). */
  ed25519: string
}

/**
 * Reads requests `start … start + count − 1` of a requests file (Ed25519 signature only), for the
 * Node load generators (open loop, e2e). Streams the file and stops once it has enough.
 */
export async function readSignedRequests(
  path: string,
  start: number,
  count: number,
): Promise<SignedRequest[]> {
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })
  const out: SignedRequest[] = []
  let index = -1
  let record: string[] = []
  for await (const line of lines) {
    if (index === -1) {
      if (!line.startsWith('#ghl-bench-requests ')) throw new Error(`not a bench requests file: ${path}`)
      index = 0
      continue
    }
    record.push(line)
    if (record.length < 3) continue
    if (index >= start) out.push({ body: Buffer.from(record[0]!), ed25519: record[1]! })
    record = []
    index++
    if (out.length >= count) break
  }
  lines.close()
  if (out.length < count) throw new Error(`${path} holds ${index} requests; ${start + count} needed`)
  return out
}
