// The SQLite checkpointer's thread (see checkpointer.ts): its own connection to the gateway's file,
// running `wal_checkpoint(PASSIVE)` whenever the main thread asks. Plain JavaScript, copied to
// dist/ as it is, so the same file runs under tsx, vitest and the built gateway.
import { closeSync, openSync, readSync } from 'node:fs'
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

/**
 * Salt-1 of the WAL header (bytes 16–19, https://sqlite.org/fileformat2.html#walformat): SQLite
 * changes it every time the WAL starts over, so two equal readings mean it did not.
 */
function walSalt() {
  const header = Buffer.alloc(20)
  let fd
  try {
    fd = openSync(`${options.path}-wal`, 'r')
    return readSync(fd, header, 0, 20, 0) === 20 ? header.readUInt32BE(16) : undefined
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

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
      salt: walSalt(),
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
