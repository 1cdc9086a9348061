import type { ReleaseStack } from '../../src/release-stack.js'

/**
 * Releases what a test or file left behind, then fails naming each one and what it still held
 * (store, worker, destinations, http server…). `who` says who left them, `fix` what to do.
 */
export async function refuseUnreleased(
  left: readonly ReleaseStack[],
  who: string,
  fix: string,
): Promise<void> {
  if (left.length === 0) return
  const names = left.map((stack) => `${stack.label} (still holding: ${stack.held.join(', ')})`)
  await Promise.allSettled(left.map((stack) => stack.release()))
  throw new Error(`${who} ${left.length} unreleased: ${names.join('; ')}; ${fix}`)
}
