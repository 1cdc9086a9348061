-- Events: one row per accepted webhook request, written before the sender gets its 2xx, and never
-- rewritten afterwards (an UPDATE would write a new row version, raw body included; processing
-- state lives in the deliveries that reference the event). Only the duplicate counter changes.
-- `seq` is the insert order in this database; `id` (evt_<ulid>) is the public id.
CREATE TABLE events (
  seq               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
  flags             jsonb,                         -- array, NULL when empty
  event_hint        text,                          -- GHL event name from a per-event URL
  -- Classification (the GHL catalog; see src/catalog), computed before the insert.
  ghl_type          text,                          -- the body's raw `type`
  event_name        text,                          -- GHL doc name, or 'unknown'; NULL for other sources
  event_type        text,                          -- canonical name, e.g. contact.created (before renames)
  entity_kind       text,
  entity_id         text,
  location_id       text,
  company_id        text,
  sent_at           text,                          -- the sender's own timestamp (GHL body `timestamp`), ISO
  occurred_at       text,                          -- when it happened per the body, ISO
  body_format       text,                          -- flat | data-wrapped | array | form
  schema_status     text,                          -- valid | drift | unknown; NULL when not checked
  classification    jsonb,                         -- {matchedBy, family, issues[], notes[]}
  duplicate_count   integer     NOT NULL DEFAULT 0,
  last_duplicate_at timestamptz,
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
  instance_id  text        PRIMARY KEY,          -- host:pid:start
  version      text        NOT NULL,
  started_at   timestamptz NOT NULL,
  last_seen_at timestamptz NOT NULL
);
