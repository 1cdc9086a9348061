import type { ClaimedDelivery } from '../store/types.js'

/**
 * Deliveries this worker has leased but not started yet, per subscriber, oldest first.
 *
 * Why they exist: a claim is a database statement whose cost barely depends on how many rows it
 * takes (on PostgreSQL the per-subscriber index walk and the per-entity ordering check dominate).
 * Claiming only the slot that just came free meant one statement per delivery for a fast
 * destination — the database's CPU per delivery, not the destination, was what limited delivery.
 * So the worker claims a batch ahead (up to one more `concurrency` per subscriber), starts from here
 * as slots free up, and claims again only when this falls to the low-water mark.
 *
 * What keeps it safe: a held delivery is leased like a running one (crash → the lease expires and
 * another process runs it), it keeps its entity's later deliveries back like a running one
 * (ordering), and one held longer than `maxHoldMs` is given back unstarted rather than started
 * close to its lease's end.
 */
export class HeldDeliveries {
  readonly #bySubscriber = new Map<string, { delivery: ClaimedDelivery; heldAt: number }[]>()
  #size = 0

  get size(): number {
    return this.#size
  }

  count(subscriberId: string): number {
    return this.#bySubscriber.get(subscriberId)?.length ?? 0
  }

  /** Subscribers that have held deliveries, in the order they were first held. */
  subscribers(): string[] {
    return [...this.#bySubscriber.keys()]
  }

  hold(delivery: ClaimedDelivery, now: number): void {
    let queue = this.#bySubscriber.get(delivery.subscriberId)
    if (!queue) {
      queue = []
      this.#bySubscriber.set(delivery.subscriberId, queue)
    }
    queue.push({ delivery, heldAt: now })
    this.#size++
  }

  /** The oldest `n` held deliveries of a subscriber, taken out to start. */
  take(subscriberId: string, n: number): ClaimedDelivery[] {
    const queue = this.#bySubscriber.get(subscriberId)
    if (!queue || n <= 0) return []
    const taken = queue.splice(0, n).map((h) => h.delivery)
    if (queue.length === 0) this.#bySubscriber.delete(subscriberId)
    this.#size -= taken.length
    return taken
  }

  /** Takes out every delivery held since before `cutoff` (to give back unstarted). */
  takeHeldBefore(cutoff: number): ClaimedDelivery[] {
    const stale: ClaimedDelivery[] = []
    for (const [subscriberId, queue] of this.#bySubscriber) {
      // Oldest first: the stale ones are a prefix.
      let n = 0
      while (n < queue.length && queue[n]!.heldAt < cutoff) n++
      if (n > 0) stale.push(...this.take(subscriberId, n))
    }
    return stale
  }

  /** Takes out everything (shutdown). */
  takeAll(): ClaimedDelivery[] {
    return this.takeHeldBefore(Number.POSITIVE_INFINITY)
  }
}
