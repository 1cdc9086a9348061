-- Events: one row per accepted webhook request, written before the sender gets its 2xx, and never
-- rewritten afterwards (an UPDATE would copy the raw body again; processing state lives in the
-- deliveries that reference the event). Only the duplicate counter changes.
-- `seq` (the rowid) is the receive order in this database; `id` (evt_<ulid>) is the public id.
CREATE TABLE events (
  seq               INTEGER PRIMARY KEY,
  id                TEXT    NOT NULL UNIQUE,
  source            TEXT    NOT NULL,
  -- The sender's event id (GHL webhookId) or sha256 of the raw body; unique per source.
  dedupe_key        TEXT    NOT NULL,
  webhook_id        TEXT,
  received_at       INTEGER NOT NULL,             -- unix ms
  content_type      TEXT    NOT NULL,
  headers           TEXT    NOT NULL,             -- JSON object; credentials as fingerprints
  raw_body          BLOB    NOT NULL,             -- the exact bytes that were verified
  body_bytes        INTEGER NOT NULL,
  content_hash      TEXT    NOT NULL,
  verified          INTEGER NOT NULL,             -- 0 | 1
  verification      TEXT    NOT NULL,             -- JSON {scheme, verified, keyId?, failure?}
  flags             TEXT,                         -- JSON array, NULL when empty
  event_hint        TEXT,                         -- GHL event name from a per-event URL
  -- Classification (the GHL catalog; see src/catalog), computed before the insert.
  ghl_type          TEXT,                         -- the body's raw `type`
  event_name        TEXT,                         -- GHL doc name, or 'unknown'; NULL for other sources
  event_type        TEXT,                         -- canonical name, e.g. contact.created (before renames)
  entity_kind       TEXT,
  entity_id         TEXT,
  location_id       TEXT,
  company_id        TEXT,
  sent_at           TEXT,                         -- the sender's own timestamp (GHL body `timestamp`), ISO
  occurred_at       TEXT,                         -- when it happened per the body, ISO
  body_format       TEXT,                         -- flat | data-wrapped | array | form
  schema_status     TEXT,                         -- valid | drift | unknown; NULL when not checked
  classification    TEXT,                         -- JSON {matchedBy, family, issues[], notes[]}
  duplicate_count   INTEGER NOT NULL DEFAULT 0,
  last_duplicate_at INTEGER,
  -- dedupe_key first: a lookup by webhookId (the dedupe key of GHL events) uses this index too.
  UNIQUE (dedupe_key, source)
);

-- API filters walk newest-first within a tenant, a type or an entity.
CREATE INDEX events_location ON events (location_id, seq) WHERE location_id IS NOT NULL;
CREATE INDEX events_company ON events (company_id, seq) WHERE company_id IS NOT NULL;
CREATE INDEX events_type ON events (event_type, seq) WHERE event_type IS NOT NULL;
CREATE INDEX events_entity ON events (entity_id, seq) WHERE entity_id IS NOT NULL;
-- Drifted and unknown events are what a human needs to look at; few, so a partial index.
CREATE INDEX events_schema ON events (schema_status, seq) WHERE schema_status IN ('drift', 'unknown');
-- Time filters and retention.
CREATE INDEX events_received_at ON events (received_at);

-- One row per running gateway process, written by readiness checks: a real write, so "ready"
-- means the database takes writes (a full disk or a read-only replica fails it), not just reads.
CREATE TABLE gateway_instances (
  instance_id  TEXT    PRIMARY KEY,              -- host:pid:start
  version      TEXT    NOT NULL,
  started_at   INTEGER NOT NULL,                 -- unix ms
  last_seen_at INTEGER NOT NULL
);
