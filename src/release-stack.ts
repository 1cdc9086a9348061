/**
 * What a composition took — a database pool, timers, a listening server — and how to give each
 * back, released with one call, last taken first (graphile-worker's releasers). Whoever takes
 * something says so at once (`hold`), so a failure half-way through building releases exactly
 * what was built.
 *
 * Every stack still holding something is listed by `unreleased()`: the test setup fails a test
 * that leaves one behind (test/support/leak-check.ts).
 */
export class ReleaseStack {
  readonly #held: { name: string; release: () => unknown }[] = []
  #released: Promise<void> | undefined

  /** Names the whole in leak reports, e.g. `gateway sqlite:/tmp/x/gateway.db`. */
  constructor(readonly label: string) {}

  /** Records that `name` is held; `release` gives it back, before anything held earlier. */
  hold(name: string, release: () => unknown): void {
    if (this.#released) throw new Error(`${this.label}: "${name}" was taken after the release began`)
    if (this.#held.length === 0) holding.add(this)
    this.#held.push({ name, release })
  }

  /**
   * Gives everything back, last taken first. Idempotent (every call gets the same promise). A
   * step that throws does not stop the others; the first error is rethrown at the end.
   */
  release(): Promise<void> {
    this.#released ??= (async () => {
      let failure: { error: unknown } | undefined
      for (let top = this.#held.at(-1); top; top = this.#held.at(-1)) {
        try {
          await top.release()
        } catch (error) {
          failure ??= { error }
        }
        this.#held.pop()
      }
      holding.delete(this)
      if (failure) throw failure.error
    })()
    return this.#released
  }

  /** What is still held, in the order it will be released. */
  get held(): string[] {
    return this.#held.map((h) => h.name).reverse()
  }
}

const holding = new Set<ReleaseStack>()

/** Stacks that still hold something, oldest first (tests check that theirs are empty). */
export function unreleased(): ReleaseStack[] {
  return [...holding]
}
