/**
 * The Store: the only place events become durable. Two implementations (SQLite, PostgreSQL) pass
 * one conformance suite (`conformance.test.ts`); nothing above this interface knows which it has.
 *
 * Terminology used everywhere:
 * - source: who sent a webhook (`ghl` built in; others from the config file).
 * - event: one accepted webhook request, stored with its raw bytes. Ids `evt_<ulid>`.
 * - dedupe key: the sender's event id (GHL `webhookId`, Standard Webhooks `webhook-id`, …) or,
 *   when the sender gives none, `sha256:<hash of the raw body>`. Unique per source.
 *
 * The interface is composed of one part per table family — events, deliveries, destinations, rate
 * buckets, GHL tokens, GHL rate windows — each in its own file with its types; this file adds what concerns the
 * database as a whole (migrations, liveness, work signals) and re-exports the parts, so callers import from here.
 */

import type { DeliveryStore } from './delivery-store.js'
import type { DestinationStore } from './destination-store.js'
import type { DlqJobStore } from './dlq-job-store.js'
import type { EventStore } from './event-store.js'
import type { GhlRateLimitStore } from './ghl-rate-limit-store.js'
import type { GhlTokenStore } from './ghl-token-store.js'
import type { GhlInstallationStore } from './installation-store.js'
import type { LocationStore } from './location-store.js'
import type { RateBucketStore } from './rate-bucket-store.js'

export type * from './delivery-store.js'
export type * from './destination-store.js'
export type * from './dlq-job-store.js'
export type * from './event-store.js'
export type * from './ghl-rate-limit-store.js'
export type * from './ghl-token-store.js'
export type * from './installation-store.js'
export type * from './location-store.js'
export type * from './page.js'
export type * from './rate-bucket-store.js'

export interface MigrationReport {
  applied: string[]
  /** Migrations already in the database. */
  current: number
  /** Versions in the database this code does not know (a newer replica migrated first). */
  unknown: number[]
}

/** What `migrate()` would do, without doing it (`ghl-gateway doctor`). */
export interface MigrationStatus {
  /** Migrations already in the database. */
  current: number
  /** Migrations this code ships that the database lacks, as `NNNN_name`, in order. */
  pending: string[]
  /** Versions in the database this code does not know (a newer replica migrated first). */
  unknown: number[]
}

/**
 * What a caller may rely on about its store, stated by the store. Nothing above the Store interface
 * asks which database it has (test/layers.test.ts fails on `store.kind` outside src/store/): a
 * caller that behaves differently names the trait it depends on here.
 */
export interface StoreTraits {
  /** The database, as `/readyz` names it (`sqlite`, `postgres`). For display: decide by the traits below. */
  readonly name: string
  /**
   * Commits worth having in flight at once: 1 where a commit runs synchronously on this thread (a
   * second could not start before the first ends), 2 where a commit is a round trip another one can
   * hide behind.
   */
  readonly commitConcurrency: number
  /**
   * A write holds the database's only write lock, on this event loop, while it runs: long write
   * loops (retention) take small batches and pause between them, or webhooks wait behind them.
   */
  readonly exclusiveWrites: boolean
  /**
   * Several processes may share this store: a destination's rate limit is taken from the store
   * (`takeRateTokens`), not counted in each process.
   */
  readonly sharedRateLimits: boolean
  /** `announceWork` reaches other processes: worth calling after a commit that created deliveries. */
  readonly crossProcessWakeups: boolean
  /** WAL checkpoint counters for /metrics; undefined while the store has no checkpoint thread. */
  checkpointStats(): CheckpointStats | undefined
}

/** What the metrics read from a store that checkpoints its write-ahead log on a thread of its own. */
export interface CheckpointStats {
  /** WAL frames at the last checkpoint. */
  readonly walFrames: number
  readonly pauseMsTotal: number
  readonly failures: number
}

/** What a cross-process announcement is about (`announceWork`). @default 'deliveries' */
export type WorkTopic = 'deliveries' | 'destinations'

/** A running gateway process, as recorded by `heartbeat`. */
export interface GatewayInstance {
  /** `host:pid:startMs` — unique per process start. */
  id: string
  version: string
  startedAt: number
}

export interface Store
  extends EventStore,
    DeliveryStore,
    DestinationStore,
    RateBucketStore,
    LocationStore,
    GhlTokenStore,
    GhlInstallationStore,
    GhlRateLimitStore,
    DlqJobStore {
  readonly traits: StoreTraits
  /** Where the data lives, safe to log (passwords removed). */
  readonly location: string
  migrate(): Promise<MigrationReport>
  /** Reads the applied migrations and compares them with this code's; applies nothing. */
  migrationStatus(): Promise<MigrationStatus>

  /**
   * Tells other gateway processes that deliveries may be due, or (`destinations`) that they should
   * reload their destinations now (a probe request) — PostgreSQL NOTIFY; SQLite: nothing.
   */
  announceWork(topic?: WorkTopic): Promise<void>
  /** Calls `onWork` when another process announces work; returns a function that stops listening. */
  listenForWork(onWork: (topic: WorkTopic) => void, onError: (error: Error) => void): () => Promise<void>

  /**
   * Proves the database takes writes: records this process as alive (one tiny upsert). Rejects
   * when the disk is full, the database is read-only (e.g. a replica after failover) or down.
   */
  heartbeat(instance: GatewayInstance): Promise<void>
  /** True for errors that mean "the database cannot take writes right now" (disk full, down, read-only). */
  isUnavailableError(error: unknown): boolean
  close(): Promise<void>
}
