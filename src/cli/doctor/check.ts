/**
 * The checks behind `ghl-gateway doctor`. Each one reads, never changes: the database is opened
 * and queried but not migrated, the port is bound for a moment and released, nothing is written.
 */

export type CheckStatus = 'ok' | 'info' | 'warn' | 'fail'

export interface Check {
  name: string
  status: CheckStatus
  message: string
  /** What to do about it, for warn and fail. */
  fix?: string
}
