/**
 * The one bounded poll of the test suite: calls `check` every 25 ms until it returns a truthy
 * value, and returns that value (typed without `undefined`/`null`: a check returns the thing it
 * waited for, or nothing yet); throws `${what}: not within ${timeoutMs} ms` once the time is up.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  timeoutMs = 10_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value) return value as NonNullable<T>
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}
