// The SQLite checkpointer's thread (see checkpointer.ts): its own connection to the gateway's file,
// running `wal_checkpoint(PASSIVE)` whenever the main thread asks. Plain JavaScript, copied to
// dist/ as it is, so the same file runs under tsx, vitest and the built gateway.
import { createRequire } from 'node:module'
import { parentPort, workerData } from 'node:worker_threads'

const require = createRequire(import.meta.url)
const Database = require('better-sqlite3')

/** @type {{ path: string, synchronous: string, busyTimeoutMs: number }} */
const options = workerData
const db = new Database(options.path, { fileMustExist: true })
// The checkpoint's fsyncs follow this connection's setting; it must match the writer's.
db.pragma(`synchronous = ${options.synchronous}`)
db.pragma(`busy_timeout = ${options.busyTimeoutMs}`)

parentPort.on('message', (message) => {
  if (message.kind === 'close') {
    db.close()
    parentPort.close()
    return
  }
  const started = performance.now()
  try {
    // PASSIVE never waits for the writer and never makes it wait: it copies what is in the WAL now.
    const [row] = db.pragma('wal_checkpoint(PASSIVE)')
    parentPort.postMessage({
      id: message.id,
      busy: row.busy,
      log: row.log,
      checkpointed: row.checkpointed,
      ms: performance.now() - started,
    })
  } catch (error) {
    parentPort.postMessage({
      id: message.id,
      error: { message: error.message, code: error.code },
      ms: performance.now() - started,
    })
  }
})
