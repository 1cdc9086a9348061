import type { DeliveryStore } from '../types.js'
import { countBacklog } from './count-backlog.js'
import { discardDeliveries } from './discard-deliveries.js'
import { eventDeliveries } from './event-deliveries.js'
import { getDelivery } from './get-delivery.js'
import { listDeliveries } from './list-deliveries.js'
import { onceResult, recordOnce } from './once-results.js'
import { processingStats } from './processing-stats.js'
import { recentSubscriberAttempts } from './recent-subscriber-attempts.js'
import { replayDeliveries } from './replay-deliveries.js'
import type { SqlRunner } from './runner.js'
import { statsSeries } from './stats-series.js'

/**
 * What each store writes its own way, and why:
 * - claimDeliveries: PostgreSQL picks with FOR UPDATE SKIP LOCKED in one statement across every
 *   subscriber; SQLite has one writer, so a write transaction that selects then leases is enough.
 * - finishAttempts, releaseDeliveries, addDeliveries: PostgreSQL sends a batch as arrays (`unnest`,
 *   `ANY`) in one round trip; SQLite has no arrays and no round trips, so it loops over prepared
 *   statements inside one transaction.
 */
export type OwnDeliveryOperations =
  | 'claimDeliveries'
  | 'finishAttempts'
  | 'releaseDeliveries'
  | 'addDeliveries'

/** The delivery operations both stores send as the same statements (one file each, this folder). */
export function sharedDeliveries(db: SqlRunner): Omit<DeliveryStore, OwnDeliveryOperations> {
  return {
    countBacklog: () => countBacklog(db),
    getDelivery: (id) => getDelivery(db, id),
    eventDeliveries: (eventId) => eventDeliveries(db, eventId),
    listDeliveries: (filter, page) => listDeliveries(db, filter, page),
    replayDeliveries: db.write((filter, now, limit) => replayDeliveries(db, filter, now, limit)),
    discardDeliveries: db.write((filter, now) => discardDeliveries(db, filter, now)),
    onceResult: (deliveryId, key) => onceResult(db, deliveryId, key),
    recordOnce: db.write((deliveryId, key, result, now) => recordOnce(db, deliveryId, key, result, now)),
    processingStats: (now) => processingStats(db, now),
    recentSubscriberAttempts: (subscriberId, limit, scan) =>
      recentSubscriberAttempts(db, subscriberId, limit, scan),
    statsSeries: (range) => statsSeries(db, range),
  }
}
