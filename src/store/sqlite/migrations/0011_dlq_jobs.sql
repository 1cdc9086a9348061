-- Bulk dead-letter jobs: "replay (or purge) every dead delivery matching this filter", run in the
-- background in small batches by whichever gateway process holds the job's lease, resumed by any
-- process once a lease runs out (a crashed holder). Each batch is one transaction that acts on the
-- deliveries whose seq lies in (cursor, next cursor] and advances `cursor` and `done` with them, so
-- a crash loses nothing and repeats nothing (src/store/sql/dlq-job-batch.ts).
CREATE TABLE dlq_jobs (
  seq              INTEGER PRIMARY KEY,
  id               TEXT    NOT NULL UNIQUE,                 -- job_<ulid>
  action           TEXT    NOT NULL CHECK (action IN ('replay', 'purge')),
  -- The DeliveryFilter as JSON, frozen at creation (event types already resolved).
  filter           TEXT    NOT NULL,
  -- Only deliveries dead before this time (unix ms, the job's creation unless the filter's `until`
  -- is earlier): one that dies while the job runs — a replayed one failing again — is not swept in.
  dead_before      INTEGER NOT NULL,
  state            TEXT    NOT NULL
                   CHECK (state IN ('queued', 'running', 'succeeded', 'cancelled', 'failed')),
  total            INTEGER NOT NULL,                        -- matching at creation (counted up to a cap)
  total_capped     INTEGER NOT NULL DEFAULT 0,              -- 1: at least `total`
  done             INTEGER NOT NULL DEFAULT 0,              -- deliveries replayed or purged so far
  cursor           INTEGER NOT NULL DEFAULT 0,              -- deliveries.seq handled through
  lease_owner      TEXT,
  lease_expires_at INTEGER,
  error            TEXT,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  updated_at       INTEGER NOT NULL
);
-- The runner's claim: the oldest unfinished job.
CREATE INDEX dlq_jobs_open ON dlq_jobs (seq) WHERE state IN ('queued', 'running');

-- The normalised last error of a dead delivery (numbers and ids replaced: "timeout after 5003 ms"
-- and "timeout after 5010 ms" share one), written when the delivery dies — never per attempt — so
-- the console groups the dead-letter queue by it and a bulk job filters by it
-- (src/store/error-fingerprint.ts). Deliveries dead before this migration have none.
ALTER TABLE deliveries ADD COLUMN error_fingerprint TEXT;
