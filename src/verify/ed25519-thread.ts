import { Worker } from 'node:worker_threads'
import { verifyEd25519 } from './ed25519-check.mjs'

const SIGNATURE_BYTES = 64
const PUBLIC_KEY_BYTES = 32
/** After this many thread failures the process checks signatures on the event loop for good. */
const MAX_FAILURES = 3

interface Check {
  body: Uint8Array
  signature: Uint8Array
  keys: readonly Uint8Array[]
  resolve: (match: number) => void
  answered?: boolean
}

interface Batch {
  checks: Check[]
  open: number
}

/**
 * Ed25519 checks on one thread of their own. Every check requested in one event-loop turn goes to
 * the thread in one message, its bytes copied into one transferred buffer (a Buffer view would
 * clone its whole 8 KB pool slab); answers come back in chunks of four.
 *
 * Why not libuv's pool, as `crypto.verify` with a callback does: its checks run OpenSSL at ~67 µs
 * each against ~40 µs for libsodium, which has no asynchronous API, and on a 2-core machine the
 * saved CPU is throughput (docs/benchmarks.md). One thread checks ~25,000 signatures a second, more
 * than one event loop can store.
 *
 * If the thread dies, its unanswered checks run on the event loop (same library, same answers) and
 * the next batch starts a new thread; after three failures the event loop keeps the work.
 */
export class Ed25519Thread {
  #worker: Worker | undefined
  #queue: Check[] = []
  #batches = new Map<number, Batch>()
  #nextBatch = 0
  #failures = 0
  #flushScheduled = false

  /**
   * Resolves to the index of the first key in `keys` that verifies, or -1. The bytes are copied
   * when the batch is sent, at the end of this event-loop turn: do not change them before that.
   */
  check(body: Uint8Array, signature: Uint8Array, keys: readonly Uint8Array[]): Promise<number> {
    return new Promise((resolve) => {
      this.#queue.push({ body, signature, keys, resolve })
      if (!this.#flushScheduled) {
        this.#flushScheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  /** Stops the thread; checks still open finish on the event loop. */
  async close(): Promise<void> {
    const worker = this.#worker
    if (!worker) return
    this.#detach(worker)
    await worker.terminate()
  }

  #flush(): void {
    this.#flushScheduled = false
    const checks = this.#queue
    this.#queue = []
    const worker = this.#thread()
    if (!worker) {
      for (const check of checks) check.resolve(checkHere(check))
      return
    }
    let size = 0
    for (const c of checks) size += c.body.length + SIGNATURE_BYTES + c.keys.length * PUBLIC_KEY_BYTES
    const data = new Uint8Array(size)
    const meta = new Uint32Array(checks.length * 3)
    let offset = 0
    checks.forEach((c, i) => {
      meta[i * 3] = offset
      meta[i * 3 + 1] = c.body.length
      meta[i * 3 + 2] = c.keys.length
      data.set(c.body, offset)
      offset += c.body.length
      data.set(c.signature.subarray(0, SIGNATURE_BYTES), offset)
      offset += SIGNATURE_BYTES
      for (const key of c.keys) {
        data.set(key.subarray(0, PUBLIC_KEY_BYTES), offset)
        offset += PUBLIC_KEY_BYTES
      }
    })
    // A waiting check keeps the process alive, as a pending crypto.verify callback would.
    if (this.#batches.size === 0) worker.ref()
    const batch = this.#nextBatch++
    this.#batches.set(batch, { checks, open: checks.length })
    worker.postMessage({ batch, data: data.buffer, meta }, [data.buffer, meta.buffer])
  }

  #thread(): Worker | undefined {
    if (this.#worker || this.#failures >= MAX_FAILURES) return this.#worker
    const worker = new Worker(new URL('./ed25519-worker.mjs', import.meta.url))
    worker.unref()
    worker.on('message', (answer: { batch: number; from: number; matches: Int16Array }) =>
      this.#answer(answer),
    )
    const fail = () => {
      if (this.#worker !== worker) return
      this.#failures++
      this.#detach(worker)
    }
    worker.on('error', fail)
    worker.on('exit', fail)
    this.#worker = worker
    return worker
  }

  #answer({ batch, from, matches }: { batch: number; from: number; matches: Int16Array }): void {
    const entry = this.#batches.get(batch)
    if (!entry) return
    matches.forEach((match, i) => {
      const check = entry.checks[from + i]!
      check.answered = true
      check.resolve(match)
    })
    entry.open -= matches.length
    if (entry.open === 0) this.#batches.delete(batch)
    if (this.#batches.size === 0) this.#worker?.unref()
  }

  /** Forgets the thread and answers its open checks here. */
  #detach(worker: Worker): void {
    if (this.#worker === worker) this.#worker = undefined
    const batches = [...this.#batches.values()]
    this.#batches.clear()
    for (const batch of batches) {
      for (const check of batch.checks) if (!check.answered) check.resolve(checkHere(check))
    }
  }
}

function checkHere({ body, signature, keys }: Check): number {
  return keys.findIndex((key) => verifyEd25519(body, signature, key))
}

let shared: Ed25519Thread | undefined

/** The process's verification thread, started on first use. */
export function ed25519Thread(): Ed25519Thread {
  shared ??= new Ed25519Thread()
  return shared
}
