import type { RowDecoding } from './event-columns.js'
import type { DestinationState, StoredDestination } from './types.js'

/** Destination rows → objects, shared by both stores (`decode` converts their time and JSON types). */
export const DESTINATION_COLUMNS =
  'id, origin, definition, state, state_reason, config_seen_at, orphaned_at, probe_requested_at, created_at, updated_at'

type Row = Record<string, unknown>

export function rowToDestination(row: Row, decode: RowDecoding): StoredDestination {
  const timeOrNull = (value: unknown) => (value === null ? null : decode.time(value))
  return {
    id: row.id as string,
    origin: row.origin as StoredDestination['origin'],
    definition: decode.json(row.definition) as Record<string, unknown>,
    state: row.state as DestinationState,
    stateReason: row.state_reason as string | null,
    configSeenAt: timeOrNull(row.config_seen_at),
    orphanedAt: timeOrNull(row.orphaned_at),
    probeRequestedAt: timeOrNull(row.probe_requested_at),
    createdAt: decode.time(row.created_at),
    updatedAt: decode.time(row.updated_at),
  }
}
