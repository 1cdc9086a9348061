-- Destinations: HTTP endpoints that receive matching events (src/dispatch/destinations.ts).
-- Deliveries refer to a destination by id (deliveries.subscriber_id), like handlers; there is no
-- foreign key, because handlers live only in code and a deleted destination's dead deliveries
-- stay in the dead-letter queue.
-- `definition` is JSON: for `api` destinations the document as given (secrets as given,
-- `${ENV}` references unresolved, resolved in each process at load); for `config` destinations
-- the parsed definition with secrets replaced by "***" (each process runs them from its own
-- config file and environment; the row carries their state and lets the API list them).
CREATE TABLE destinations (
  id           TEXT    PRIMARY KEY,
  origin       TEXT    NOT NULL CHECK (origin IN ('config', 'api')),
  definition   TEXT    NOT NULL,                          -- JSON
  state        TEXT    NOT NULL CHECK (state IN ('active', 'paused', 'disabled')),
  state_reason TEXT,
  created_at   INTEGER NOT NULL,                          -- unix ms
  updated_at   INTEGER NOT NULL
);
