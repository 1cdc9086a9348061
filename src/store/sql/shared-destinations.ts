import type { DestinationStore } from '../types.js'
import { insertDestination } from './insert-destination.js'
import { getDestination, listDestinations } from './list-destinations.js'
import { orphanConfigDestinations } from './orphan-config-destinations.js'
import { requestDestinationProbe } from './request-destination-probe.js'
import type { SqlRunner } from './runner.js'

/**
 * What each store does its own way: replacing and setting a state (PostgreSQL decides in one
 * conditional UPDATE, with a boolean parameter; SQLite reads then writes inside its write
 * transaction), claiming and releasing config destinations and counting open deliveries (arrays
 * and `ANY` in one round trip on PostgreSQL; a loop of prepared statements on SQLite, each count a
 * range of its partial index), and deleting (a transaction over two tables, each driver's own way).
 */
export type OwnDestinationOperations =
  | 'replaceDestination'
  | 'setDestinationState'
  | 'claimConfigDestinations'
  | 'releaseConfigDestinations'
  | 'countOpenDeliveries'
  | 'deleteDestination'

export function sharedDestinations(db: SqlRunner): Omit<DestinationStore, OwnDestinationOperations> {
  return {
    listDestinations: () => listDestinations(db),
    getDestination: (id) => getDestination(db, id),
    insertDestination: db.write((d, now) => insertDestination(db, d, now)),
    orphanConfigDestinations: db.write((seenBefore, now, reason) =>
      orphanConfigDestinations(db, seenBefore, now, reason),
    ),
    requestDestinationProbe: db.write((id, now) => requestDestinationProbe(db, id, now)),
  }
}
