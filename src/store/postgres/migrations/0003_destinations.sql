-- Destinations: HTTP endpoints that receive matching events (src/dispatch/destinations.ts).
-- Deliveries refer to a destination by id (deliveries.subscriber_id), like handlers; there is no
-- foreign key, because handlers live only in code and a deleted destination's dead deliveries
-- stay in the dead-letter queue.
-- `definition`: for `api` destinations the document as given (secrets as given, `${ENV}`
-- references unresolved, resolved in each process at load); for `config` destinations the parsed
-- definition with secrets replaced by "***" (each process runs them from its own config file and
-- environment; the row carries their state and lets the API list them).
CREATE TABLE destinations (
  id           text        PRIMARY KEY,
  origin       text        NOT NULL CHECK (origin IN ('config', 'api')),
  definition   jsonb       NOT NULL,
  state        text        NOT NULL CHECK (state IN ('active', 'paused', 'disabled')),
  state_reason text,
  created_at   timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL
);
