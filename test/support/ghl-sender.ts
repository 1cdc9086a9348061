import { createHash, type KeyObject, sign } from 'node:crypto'
import type { Signer } from '../../src/cli/signing.js'
import { runSimulation, type SimulationProgress } from '../../src/cli/simulate/engine.js'
import { DEFAULT_MIX, parseMix } from '../../src/cli/simulate/mix.js'
import { type PolicyName, retryPolicy, seededRandom } from '../../src/cli/simulate/policy.js'
import type { SimulationReport } from '../../src/cli/simulate/report.js'

/**
 * GHL as a sender, for reliability tests: the engine behind `ghl-gateway simulate`
 * (src/cli/simulate) — open-loop first deliveries at `rate`, GHL's 2026 retry policy (any non-2xx
 * or no answer retried, up to 12 times, with backoff and jitter; the same bytes and webhookId on
 * every retry), duplicate deliveries, the default event mix, per-event URLs — with a signer that
 * remembers every distinct body it signed.
 *
 * The engine reports counts, not per-event outcomes. What the tests need follows from them: when
 * `report.acknowledged === report.events` (nothing dropped, nothing unfinished), every body in
 * `signed` got a 2xx at least once, so "every acked event is stored" becomes "every signed body is
 * stored" — a stronger check that needs no per-request bookkeeping.
 *
 * ```ts
 * const sender = startGhlSender({ target: `${gateway.url}/webhooks/ghl`, privateKey, events: 1000, rate: 200 })
 * const report = await sender.done
 * // report.acknowledged === report.events; sender.signed holds the 1000 bodies by content hash
 * ```
 */

export interface SignedBody {
  /** `sha256:<hex>` of the bytes: the gateway's `content_hash` column. */
  contentHash: string
  bytes: Buffer
  /** The body's `webhookId` (first item's for array bodies), or null. */
  webhookId: string | null
}

export interface GhlSenderOptions {
  /** `http://127.0.0.1:<port>/webhooks/ghl` */
  target: string
  privateKey: KeyObject
  events: number
  /** First deliveries per second. */
  rate: number
  /** @default 'ghl-2026' */
  policy?: PolicyName
  /** Retry delays are divided by this: 200 turns GHL's 10 s, 20 s, 40 s … into 50 ms, 100 ms, 200 ms …. @default 200 */
  timeScale?: number
  /** % of events delivered twice (same bytes). @default 2 */
  duplicatesPct?: number
  /** @default 64 */
  concurrency?: number
  /** Per request. @default 5000 */
  timeoutMs?: number
  /** Hard stop for the whole run. @default 180000 */
  deadlineMs?: number
  /** @default a random seed (printed by the caller, from `seed`) */
  seed?: number
  /** @default DEFAULT_MIX of `simulate` */
  mix?: string
  signal?: AbortSignal
}

export interface GhlSender {
  done: Promise<SimulationReport>
  /** Every distinct body signed so far, by content hash. */
  signed: Map<string, SignedBody>
  /** The latest progress the engine reported. */
  progress(): SimulationProgress
  /** True once every first delivery has left (only retries may follow). */
  allSent(): boolean
  seed: number
}

export function contentHash(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

function webhookIdOf(bytes: Buffer): string | null {
  try {
    const body = JSON.parse(bytes.toString('utf8')) as unknown
    const first = Array.isArray(body) ? body[0] : body
    const id = (first as { webhookId?: unknown } | null)?.webhookId
    return typeof id === 'string' ? id : null
  } catch {
    return null
  }
}

export function startGhlSender(options: GhlSenderOptions): GhlSender {
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31)
  const signed = new Map<string, SignedBody>()
  const signer: Signer = {
    scheme: 'ed25519',
    keyId: null,
    keyPath: null,
    sign(body) {
      const hash = contentHash(body)
      signed.set(hash, { contentHash: hash, bytes: body, webhookId: webhookIdOf(body) })
      return { 'x-ghl-signature': sign(null, body, options.privateKey).toString('base64') }
    },
  }
  let latest: SimulationProgress = {
    started: 0,
    total: options.events,
    acknowledged: 0,
    inFlight: 0,
    waitingRetry: 0,
  }
  const done = runSimulation({
    target: new URL(options.target),
    perEventUrls: true,
    events: options.events,
    rate: options.rate,
    policy: retryPolicy(options.policy ?? 'ghl-2026'),
    duplicatesPct: options.duplicatesPct ?? 2,
    mix: parseMix(options.mix ?? DEFAULT_MIX),
    timeScale: options.timeScale ?? 200,
    concurrency: options.concurrency ?? 64,
    timeoutMs: options.timeoutMs ?? 5000,
    deadlineMs: options.deadlineMs ?? 180_000,
    signer,
    random: seededRandom(seed),
    signal: options.signal,
    onProgress: (progress) => {
      latest = progress
    },
  })
  return {
    done,
    signed,
    seed,
    progress: () => latest,
    allSent: () => latest.started >= latest.total,
  }
}
