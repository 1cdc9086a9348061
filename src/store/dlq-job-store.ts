import type { DeliveryFilter } from './delivery-store.js'

/**
 * Bulk dead-letter jobs: replay or purge every dead delivery a filter matches, in the background,
 * in batches, by whichever gateway process holds the job's lease (sql/dlq-job-batch.ts says how a
 * batch is exactly-once). Also the dead-letter queue's bounded count and its groups by error.
 *
 * A job's states and every transition:
 *   queued    → running    claimDlqJob: a runner takes the lease (also running → running when the
 *                          lease ran out: its holder died, another process resumes at the cursor)
 *   running   → succeeded  runDlqJobBatch: no dead delivery is left past the cursor
 *   running   → failed     failDlqJob: a batch threw something other than "storage unavailable"
 *   queued | running → cancelled   cancelDlqJob (a batch in flight commits first; the next stops)
 */
export const DLQ_JOB_STATES = ['queued', 'running', 'succeeded', 'cancelled', 'failed'] as const
export type DlqJobState = (typeof DLQ_JOB_STATES)[number]
export const DLQ_JOB_ACTIONS = ['replay', 'purge'] as const
export type DlqJobAction = (typeof DLQ_JOB_ACTIONS)[number]

/** What a bulk job matches: dead deliveries by these fields (states are always `dead`). */
export type DlqFilter = Pick<
  DeliveryFilter,
  'subscriberId' | 'eventTypes' | 'tenantId' | 'error' | 'fingerprint' | 'since' | 'until'
>

export interface NewDlqJob {
  id: string
  action: DlqJobAction
  filter: DlqFilter
  /** Matching at creation (the count the user confirmed), and whether the count stopped at its cap. */
  total: number
  totalCapped: boolean
  now: number
}

export interface DlqJob {
  id: string
  action: DlqJobAction
  filter: DlqFilter
  /** Only deliveries dead before this (the creation time, or the filter's earlier `until`), ms. */
  deadBefore: number
  state: DlqJobState
  total: number
  totalCapped: boolean
  /** Deliveries replayed or purged so far. */
  done: number
  /** deliveries.seq handled through. */
  cursor: number
  leaseOwner: string | null
  leaseExpiresAt: number | null
  error: string | null
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  updatedAt: number
}

export interface DlqJobBatchOptions {
  /** The lease is renewed to now + leaseMs by each batch. */
  leaseMs: number
  /** Dead deliveries (of any filter) one batch looks at, at most. */
  window: number
}

/** What one batch did: moved `changed` deliveries on, or found the job finished, or no longer its holder's. */
export type DlqJobBatchOutcome =
  | { status: 'progress'; changed: number }
  | { status: 'succeeded'; changed: 0 }
  | { status: 'lost'; changed: 0 }

export interface DlqGroup {
  subscriberId: string
  /** null for deliveries that died before fingerprints were recorded. */
  fingerprint: string | null
  /** One of the group's last errors, as written. */
  sampleError: string | null
  sampleDeliveryId: string
  count: number
  firstDeadAt: number
  lastDeadAt: number
}

export interface DlqJobStore {
  /** Dead deliveries matching, counted up to `cap`: `capped` says there are more. */
  countDead(filter: DlqFilter, cap: number): Promise<{ count: number; capped: boolean }>
  /** The newest `scan` dead deliveries matching, grouped by subscriber and error fingerprint, largest first. */
  deadGroups(filter: DlqFilter, scan: number): Promise<{ groups: DlqGroup[]; scanned: number }>
  createDlqJob(job: NewDlqJob): Promise<DlqJob>
  getDlqJob(id: string): Promise<DlqJob | undefined>
  /** Newest first. */
  listDlqJobs(limit: number): Promise<DlqJob[]>
  /** Queued or running → cancelled; `cancelled` is false when the job had already finished (or is unknown). */
  cancelDlqJob(id: string, now: number): Promise<{ job: DlqJob | undefined; cancelled: boolean }>
  /** Leases the oldest unfinished job whose lease is free or ran out; its id, or undefined. */
  claimDlqJob(owner: string, now: number, leaseMs: number): Promise<string | undefined>
  /** One batch, one transaction: renew the lease, act on the next window, advance the cursor. */
  runDlqJobBatch(
    id: string,
    owner: string,
    now: number,
    options: DlqJobBatchOptions,
  ): Promise<DlqJobBatchOutcome>
  /** Running (held by owner) → failed, with the error. */
  failDlqJob(id: string, owner: string, error: string, now: number): Promise<boolean>
}
