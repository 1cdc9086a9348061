-- Events: one row per accepted webhook request, written before the sender gets its 2xx.
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
  ghl_type          TEXT,
  location_id       TEXT,
  company_id        TEXT,
  sent_at           TEXT,                         -- sender's own timestamp, ISO
  flags             TEXT,                         -- JSON array, NULL when empty
  event_hint        TEXT,                         -- GHL event name from a per-event URL
  status            TEXT    NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'dispatched')),
  duplicate_count   INTEGER NOT NULL DEFAULT 0,
  last_duplicate_at INTEGER,
  UNIQUE (source, dedupe_key)
);

-- The backlog (back-pressure, dispatcher): small, so a partial index keeps it cheap to count.
CREATE INDEX events_backlog ON events (seq) WHERE status = 'received';
-- API filters walk newest-first within a tenant or type.
CREATE INDEX events_location ON events (location_id, seq) WHERE location_id IS NOT NULL;
CREATE INDEX events_ghl_type ON events (ghl_type, seq) WHERE ghl_type IS NOT NULL;
-- Time filters and retention.
CREATE INDEX events_received_at ON events (received_at);
