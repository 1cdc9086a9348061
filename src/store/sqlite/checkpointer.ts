import { Worker } from 'node:worker_threads'

/**
 * WAL checkpoints on a thread of their own, so the event loop never copies pages or waits for
 * fsync.
 *
 * Why: with SQLite's automatic checkpoint, the commit that crosses the threshold copies the whole
 * WAL back into the database file and fsyncs both, on the writing (main) thread: 64 µs of event-loop
 * time per insert against 49 here (bench/store-insert.ts), and the source of most of ingest's p99
 * (35 ms against 17 ms here at saturation: every request queued behind that commit waited for it).
 *
 * The catch: SQLite starts the WAL over only when a write begins while the WAL is entirely copied
 * back. A checkpoint running beside a steady stream of commits never catches up by itself, so the
 * WAL would grow without bound (an earlier attempt reached 538 MB for a 16 MB database). So when the
 * WAL has grown past `restartFrames`, writes pause for one checkpoint — `gate` is a promise the
 * store's write methods wait on; nothing blocks the event loop — and that checkpoint, with no
 * commit beside it, catches up; the next commit starts the WAL over. The pause covers only the
 * frames written since the previous checkpoint (that one already copied the rest) plus its fsyncs.
 *
 * If the thread fails, `onFailure` is called once and the store goes back to checkpointing on the
 * writer (SQLite's automatic checkpoint): slower, never unsafe.
 */
export interface CheckpointerOptions {
  /** The database file (the thread opens its own connection). */
  path: string
  /** The writer's `synchronous` setting: the checkpoint's fsyncs follow it. */
  synchronous: 'NORMAL' | 'FULL'
  busyTimeoutMs: number
  /** Least time between two checkpoints while writes go on. @default 100 */
  intervalMs?: number
  /** WAL size in frames (pages) past which writes pause for one checkpoint. @default 4096 (16 MB) */
  restartFrames?: number
  /** Rows written (`noteWrite` weights) that start a checkpoint before `intervalMs`. @default 500 */
  batchWeight?: number
  onFailure: (error: Error) => void
}

interface Result {
  id: number
  busy?: number
  log?: number
  checkpointed?: number
  /** The WAL header's salt: a new value means the WAL started over. */
  salt?: number
  ms: number
  error?: { message: string; code?: string }
}

export interface CheckpointStats {
  checkpoints: number
  /** Checkpoints that held writes back so the WAL could start over. */
  pauses: number
  pauseMsTotal: number
  pauseMsMax: number
  /** WAL frames at the last checkpoint. */
  walFrames: number
  failures: number
  lastError: string | undefined
}

/** A checkpoint this short copied little: the one after it will too, so it may hold writes. */
const QUICK_MS = 3

export class Checkpointer {
  /** Set while writes must wait (a catch-up checkpoint is running). */
  gate: Promise<void> | undefined
  readonly stats: CheckpointStats = {
    checkpoints: 0,
    pauses: 0,
    pauseMsTotal: 0,
    pauseMsMax: 0,
    walFrames: 0,
    failures: 0,
    lastError: undefined,
  }
  readonly #worker: Worker
  readonly #intervalMs: number
  readonly #restartFrames: number
  readonly #onFailure: (error: Error) => void
  #inFlight: { id: number; gated: boolean; startedAt: number } | undefined
  #lastStartedAt = 0
  #timer: NodeJS.Timeout | undefined
  #openGate: (() => void) | undefined
  #nextId = 1
  /** Rows written since the last checkpoint started (0: nothing to checkpoint). */
  #weight = 0
  readonly #batchWeight: number
  /** An extra checkpoint was run before the pause that follows. */
  #chained = false
  /** The WAL's salt right after the last pause (the next commit starts the WAL over, if it can). */
  #pausedAtSalt: number | undefined
  #lastPinnedTryAt = 0
  #state: 'running' | 'closing' | 'stopped' = 'running'
  #settled: (() => void) | undefined

  constructor(options: CheckpointerOptions) {
    this.#intervalMs = options.intervalMs ?? 100
    this.#restartFrames = options.restartFrames ?? 4096
    this.#batchWeight = options.batchWeight ?? 500
    this.#onFailure = options.onFailure
    this.#worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
      workerData: {
        path: options.path,
        synchronous: options.synchronous,
        busyTimeoutMs: options.busyTimeoutMs,
      },
    })
    this.#worker.unref()
    this.#worker.on('message', (result: Result) => this.#finished(result))
    this.#worker.on('error', (error) => this.#fail(error))
    this.#worker.on('exit', (code) => {
      if (this.#state === 'running') this.#fail(new Error(`the checkpoint thread exited (code ${code})`))
    })
  }

  /**
   * A write was committed (`weight`: rows written, roughly): a checkpoint follows within
   * `intervalMs`, or at once when `batchWeight` has accumulated — a fast writer fills the WAL
   * faster than a timer would notice.
   */
  noteWrite(weight = 1): void {
    this.#weight += weight
    this.#maybeRun()
  }

  /** Waits for the checkpoint in flight, then stops the thread. */
  async close(): Promise<void> {
    if (this.#state !== 'running') return
    this.#state = 'closing'
    clearTimeout(this.#timer)
    if (this.#inFlight) await new Promise<void>((resolve) => (this.#settled = resolve))
    this.#state = 'stopped'
    this.#release()
    this.#worker.postMessage({ kind: 'close' })
    await new Promise<void>((resolve) => {
      const timeout = setTimeout(() => void this.#worker.terminate().finally(resolve), 5000)
      this.#worker.once('exit', () => {
        clearTimeout(timeout)
        resolve()
      })
    })
  }

  /** Ends the thread the way a crash would (the store falls back to checkpoints on the writer). */
  async terminate(): Promise<void> {
    await this.#worker.terminate()
  }

  #maybeRun(): void {
    if (this.#state !== 'running' || this.#inFlight || this.#weight === 0) return
    if (this.#timer && this.#weight < this.#batchWeight) return
    clearTimeout(this.#timer)
    this.#timer = undefined
    const wait = this.#lastStartedAt + this.#intervalMs - performance.now()
    if (wait > 0 && this.#weight < this.#batchWeight) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#maybeRun()
      }, wait)
      this.#timer.unref()
      return
    }
    this.#run(false)
  }

  #run(gated: boolean): void {
    const id = this.#nextId++
    const startedAt = performance.now()
    this.#inFlight = { id, gated, startedAt }
    this.#weight = 0
    this.#lastStartedAt = startedAt
    if (gated) {
      this.gate = new Promise((resolve) => (this.#openGate = resolve))
    }
    this.#worker.postMessage({ kind: 'checkpoint', id })
  }

  #finished(result: Result): void {
    const run = this.#inFlight
    if (!run || run.id !== result.id) return
    this.#inFlight = undefined
    if (run.gated) {
      const ms = performance.now() - run.startedAt
      this.stats.pauses++
      this.stats.pauseMsTotal += ms
      this.stats.pauseMsMax = Math.max(this.stats.pauseMsMax, ms)
      this.#release()
    }
    if (this.#settled) {
      this.#settled()
      return
    }
    if (result.error) {
      this.stats.failures++
      this.stats.lastError = result.error.message
      // A full disk or a lock held elsewhere: try again after the interval.
      this.#weight = Math.max(this.#weight, 1)
    } else {
      this.stats.checkpoints++
      const log = result.log ?? 0
      this.stats.walFrames = log
      if (run.gated) {
        this.#pausedAtSalt = result.salt
      } else if (log >= this.#restartFrames && (this.#chained || this.#mayPause(result.salt))) {
        // The WAL is big and commits came in beside this checkpoint: hold commits for the next one.
        // The pause lasts as long as copying what was written during this one, so when this one was
        // slow, first run one more without pausing (it copies only what this one missed).
        if (result.ms > QUICK_MS && !this.#chained) {
          this.#chained = true
          this.#run(false)
          return
        }
        this.#chained = false
        this.#run(true)
        return
      }
      this.#chained = false
    }
    this.#maybeRun()
  }

  /**
   * False while a reader (another process's long transaction) keeps the WAL from starting over:
   * the WAL header's salt is the same as right after the last pause, so it did not start over and
   * pausing again would only hold writes back for nothing. Then at most one try per second.
   */
  #mayPause(salt: number | undefined): boolean {
    if (this.#pausedAtSalt === undefined || salt !== this.#pausedAtSalt) return true
    if (performance.now() - this.#lastPinnedTryAt < 1000) return false
    this.#lastPinnedTryAt = performance.now()
    return true
  }

  #release(): void {
    const open = this.#openGate
    this.#openGate = undefined
    this.gate = undefined
    open?.()
  }

  #fail(error: Error): void {
    if (this.#state !== 'running') return
    this.#state = 'stopped'
    clearTimeout(this.#timer)
    this.#inFlight = undefined
    this.#release()
    this.#settled?.()
    this.#onFailure(error)
  }
}
