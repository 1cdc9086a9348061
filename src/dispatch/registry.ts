import { type CompiledSubscriber, compileSubscriber, type Subscriber } from './subscribers.js'

/**
 * The subscribers of this process: handlers registered with `gateway.on()` and destinations.
 * Ingest plans deliveries for all of them; the worker claims deliveries only for the subscribers
 * listed here (its claim slots name them), so during a rolling deploy an old process never takes a
 * delivery for a handler it does not know.
 */
export class SubscriberRegistry {
  readonly #subscribers = new Map<string, CompiledSubscriber>()
  #list: readonly CompiledSubscriber[] = []

  add(subscriber: Subscriber): CompiledSubscriber {
    if (this.#subscribers.has(subscriber.id)) {
      throw new Error(
        `a subscriber with id "${subscriber.id}" is already registered; give each handler a unique id`,
      )
    }
    const compiled = compileSubscriber(subscriber)
    this.#subscribers.set(subscriber.id, compiled)
    this.#list = [...this.#subscribers.values()]
    return compiled
  }

  remove(id: string): boolean {
    const removed = this.#subscribers.delete(id)
    if (removed) this.#list = [...this.#subscribers.values()]
    return removed
  }

  has(id: string): boolean {
    return this.#subscribers.has(id)
  }

  get(id: string): CompiledSubscriber | undefined {
    return this.#subscribers.get(id)
  }

  /** All subscribers, in registration order (a stable array until the next change). */
  list(): readonly CompiledSubscriber[] {
    return this.#list
  }
}
