-- Events: one row per accepted webhook request, written before the sender gets its 2xx.
-- `seq` is the insert order in this database; `id` (evt_<ulid>) is the public id.
CREATE TABLE events (
  seq               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id                text        NOT NULL UNIQUE,
  source            text        NOT NULL,
  -- The sender's event id (GHL webhookId) or sha256 of the raw body; unique per source.
  dedupe_key        text        NOT NULL,
  webhook_id        text,
  received_at       timestamptz NOT NULL,
  content_type      text        NOT NULL,
  headers           jsonb       NOT NULL,          -- credentials as fingerprints
  raw_body          bytea       NOT NULL,          -- the exact bytes that were verified
  body_bytes        integer     NOT NULL,
  content_hash      text        NOT NULL,
  verified          boolean     NOT NULL,
  verification      jsonb       NOT NULL,          -- {scheme, verified, keyId?, failure?}
  ghl_type          text,
  location_id       text,
  company_id        text,
  sent_at           text,                          -- sender's own timestamp, ISO
  flags             jsonb,                         -- array, NULL when empty
  event_hint        text,                          -- GHL event name from a per-event URL
  status            text        NOT NULL DEFAULT 'received' CHECK (status IN ('received', 'dispatched')),
  duplicate_count   integer     NOT NULL DEFAULT 0,
  last_duplicate_at timestamptz,
  UNIQUE (source, dedupe_key)
);

-- The backlog (back-pressure, dispatcher): small, so a partial index keeps it cheap to count.
CREATE INDEX events_backlog ON events (seq) WHERE status = 'received';
-- API filters walk newest-first within a tenant or type.
CREATE INDEX events_location ON events (location_id, seq) WHERE location_id IS NOT NULL;
CREATE INDEX events_ghl_type ON events (ghl_type, seq) WHERE ghl_type IS NOT NULL;
-- Time filters and retention.
CREATE INDEX events_received_at ON events (received_at);
