import { closeSync, openSync, readSync, statSync } from 'node:fs'
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
 * That decision is taken when a checkpoint ends, so a checkpoint that runs long — a thread starved
 * of CPU on a busy machine — let the writer append meanwhile: the suite once saw a 78 MB WAL for a
 * 16 MB restart point, under a busy loop on one of the two cores. Hence the hard cap: while a
 * checkpoint runs, a write looks at the WAL file's size (a `stat` by path, ~2 µs, at most every
 * `PEEK_MS`) and past `capBytes` closes the gate at once; the running checkpoint ends with no commit
 * beside it, and the catch-up pause follows. The size tells because the writer's
 * `journal_size_limit` is `capBytes` too: SQLite cuts the file back to it at the first commit after
 * the WAL starts over, so a larger file holds more than `capBytes` of frames written since.
 * (Reading the frame count from the `-shm` file would need a descriptor on it, and closing one
 * drops the process's POSIX locks on that file — SQLite's own, too.)
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
  /**
   * WAL file size past which writes wait for the running checkpoint (the hard cap). It must be the
   * writer's `journal_size_limit` (the store sets both from one value), so it has no default here.
   */
  capBytes: number
  onFailure: (error: Error) => void
  /** Starts the thread. Tests wrap it to delay checkpoints as a starved thread would. */
  startWorker?: (data: CheckpointWorkerData) => Worker
}

export interface CheckpointWorkerData {
  path: string
  synchronous: 'NORMAL' | 'FULL'
  busyTimeoutMs: number
}

/** The checkpoint thread (checkpoint-worker.mjs), on its own connection to `data.path`. */
export function startCheckpointWorker(data: CheckpointWorkerData): Worker {
  return new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), { workerData: data })
}

/** The WAL's hard cap: twice the 16 MB (4,096 pages) where it starts over. */
export const WAL_CAP_BYTES = 32 * 1024 * 1024

/**
 * Salt-1 of the WAL header (bytes 16–19, big-endian, https://sqlite.org/fileformat2.html#walformat):
 * SQLite changes it every time the WAL starts over, so two equal readings mean it did not.
 */
function walSalt(path: string, header: Buffer): number | undefined {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    return readSync(fd, header, 0, 20, 0) === 20 ? header.readUInt32BE(16) : undefined
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

interface Result {
  id: number
  busy?: number
  log?: number
  checkpointed?: number
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
  /** Times writes waited because the WAL passed `capBytes` while a checkpoint ran. */
  caps: number
  failures: number
  lastError: string | undefined
}

/** A checkpoint this short copied little: the one after it will too, so it may hold writes. */
const QUICK_MS = 3
/** Least time between two looks at the WAL's size while a checkpoint runs. */
const PEEK_MS = 2

export class Checkpointer {
  /** Set while writes must wait (a catch-up checkpoint is running). */
  gate: Promise<void> | undefined
  readonly stats: CheckpointStats = {
    checkpoints: 0,
    pauses: 0,
    pauseMsTotal: 0,
    pauseMsMax: 0,
    walFrames: 0,
    caps: 0,
    failures: 0,
    lastError: undefined,
  }
  readonly #worker: Worker
  readonly #intervalMs: number
  readonly #restartFrames: number
  readonly #onFailure: (error: Error) => void
  #inFlight: { id: number; gated: boolean; startedAt: number; capped: boolean } | undefined
  /** When the gate closed: a pause counts from then. */
  #gateSince = 0
  readonly #capBytes: number
  readonly #walPath: string
  readonly #header = Buffer.alloc(20)
  #lastPeekAt = 0
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
    this.#capBytes = options.capBytes
    this.#walPath = `${options.path}-wal`
    this.#onFailure = options.onFailure
    this.#worker = (options.startWorker ?? startCheckpointWorker)({
      path: options.path,
      synchronous: options.synchronous,
      busyTimeoutMs: options.busyTimeoutMs,
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
    this.#maybeCap()
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

  /**
   * The hard cap: an ungated checkpoint is running and the WAL has passed `capBytes` beside it —
   * close the gate now rather than when that checkpoint ends. Not while a reader pins the WAL
   * (a pause could not start it over; `#mayPause`).
   */
  #maybeCap(): void {
    const run = this.#inFlight
    if (!run || run.gated || run.capped || this.gate) return
    const now = performance.now()
    if (now - this.#lastPeekAt < PEEK_MS) return
    this.#lastPeekAt = now
    const size = statSync(this.#walPath, { throwIfNoEntry: false })?.size
    if (size === undefined || size <= this.#capBytes) return
    if (!this.#mayPause()) return
    run.capped = true
    this.stats.caps++
    this.#closeGate()
  }

  #closeGate(): void {
    this.#gateSince = performance.now()
    this.gate = new Promise((resolve) => (this.#openGate = resolve))
  }

  #run(gated: boolean): void {
    const id = this.#nextId++
    const startedAt = performance.now()
    this.#inFlight = { id, gated, startedAt, capped: false }
    this.#weight = 0
    this.#lastStartedAt = startedAt
    // After a capped checkpoint the gate is already closed: the pause goes on until this one ends.
    if (gated && !this.gate) this.#closeGate()
    this.#worker.postMessage({ kind: 'checkpoint', id })
  }

  #finished(result: Result): void {
    const run = this.#inFlight
    if (!run || run.id !== result.id) return
    this.#inFlight = undefined
    if (run.gated) {
      const ms = performance.now() - this.#gateSince
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
      if (run.capped) this.#release()
      // A full disk or a lock held elsewhere: try again after the interval.
      this.#weight = Math.max(this.#weight, 1)
    } else {
      this.stats.checkpoints++
      const log = result.log ?? 0
      this.stats.walFrames = log
      if (run.gated) {
        // Read on this thread while writes still wait: the salt the WAL had when the pause ended.
        this.#pausedAtSalt = walSalt(this.#walPath, this.#header)
      } else if (run.capped) {
        // Writes already wait, and this one ran with no commit beside it for its last part: one
        // more, still gated, copies the rest, and the next commit starts the WAL over.
        this.#chained = false
        this.#run(true)
        return
      } else if (log >= this.#restartFrames && (this.#chained || this.#mayPause())) {
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
   * pausing again would only hold writes back for nothing. Then at most one try per second. The
   * salt is read now (not taken from the thread's report), so it is current for the hard cap too.
   */
  #mayPause(): boolean {
    if (this.#pausedAtSalt === undefined) return true
    if (walSalt(this.#walPath, this.#header) !== this.#pausedAtSalt) return true
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
