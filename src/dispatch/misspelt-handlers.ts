import { misspeltPatterns } from '../catalog/event-patterns.js'
import type { TypeMapper } from '../catalog/index.js'
import { ConfigError } from '../config-error.js'
import type { SubscriberRegistry } from './registry.js'

/** Handlers (`gw.on`) whose pattern is a typo would never run: `listen()` refuses to start. */
export function refuseMisspeltHandlers(registry: SubscriberRegistry, types: TypeMapper): void {
  const problems = registry
    .list()
    .filter((subscriber) => subscriber.kind === 'handler')
    .flatMap((handler) => misspeltPatterns(handler, types).map((p) => `handler ${handler.id}: ${p.message}`))
  if (problems.length) throw new ConfigError(`gw.on(): ${problems.join('; ')}`)
}
