import { newId } from '../../src/ids.js'
import type { NewEvent, Store } from '../../src/store/types.js'
import { createBodyGenerator } from './ghl-body.js'
import { storedGhlEvent } from './stored-event.js'

/**
 * Fills a store with a backlog straight through `store.insertEvents()` (the same call ingest's group
 * commit makes), much faster than sending a million webhooks: realistic ContactCreate bodies,
 * classified like ingest does, each with one pending delivery per subscriber id.
 */
export interface FillOptions {
  store: Store
  events: number
  /** Each event gets one delivery for each of these subscribers. */
  subscriberIds: readonly string[]
  /** Events per insertEvents() call (one transaction). @default 1000 */
  batch?: number
  /** First due time of the deliveries, ms. @default now */
  runAt?: number
  seed?: string
  /** Called after each batch with the number of events inserted so far. */
  onProgress?(inserted: number): void
  /** Stop early (e.g. a time limit); returns how many were inserted. */
  shouldStop?(): boolean
}

export async function fillBacklog(o: FillOptions): Promise<number> {
  const batchSize = o.batch ?? 1000
  const started = Date.now()
  const bodies = createBodyGenerator(o.seed ?? `backlog-${started}`, started)
  let inserted = 0
  while (inserted < o.events) {
    if (o.shouldStop?.()) break
    const now = Date.now()
    const batch: NewEvent[] = []
    for (let k = 0; k < batchSize && inserted + k < o.events; k++) {
      const raw = Buffer.from(bodies.body(inserted + k))
      batch.push(
        storedGhlEvent(
          raw,
          now,
          o.subscriberIds.map((subscriberId) => ({
            id: newId('dlv', now),
            subscriberId,
            orderingKey: null,
            runAt: o.runAt ?? now,
          })),
        ),
      )
    }
    const outcomes = await o.store.insertEvents(batch)
    const duplicates = outcomes.filter((x) => x.status !== 'accepted').length
    if (duplicates > 0) throw new Error(`${duplicates} generated events were duplicates; use another seed`)
    inserted += batch.length
    o.onProgress?.(inserted)
  }
  return inserted
}
