import type { WriteGate } from '../sql/runner.js'
import type { Checkpointer } from './checkpointer.js'

/**
 * SQLite's write gate: while a catch-up checkpoint runs (checkpointer.ts), a write waits for it
 * (a promise, not a blocked event loop), then reports its weight so the checkpointer knows when to
 * run next. Every write method is wrapped where it is defined; `wal.test.ts` checks that no store
 * method writes while the gate is closed. Without a checkpoint thread the gate is the method itself.
 */
export function writeGate(checkpointer: Checkpointer | undefined): WriteGate {
  if (!checkpointer) return (method) => method
  return (method, weight) =>
    async (...args) => {
      while (checkpointer.gate) await checkpointer.gate
      try {
        return await method(...args)
      } finally {
        checkpointer.noteWrite(weight ? weight(...args) : 1)
      }
    }
}
