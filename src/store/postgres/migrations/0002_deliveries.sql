-- Deliveries: one per (event, subscriber), created in the same transaction as the event, so an
-- acked event can never be forgotten. The state machine is documented in src/deliver/states.ts.
-- `run_at` is when the delivery is next due: its first run, its next retry, or — while leased —
-- the lease expiry, so that a crashed worker's deliveries become due again by themselves.
CREATE TABLE deliveries (
  seq              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id               text        NOT NULL UNIQUE,             -- dlv_<ulid>
  event_id         text        NOT NULL REFERENCES events (id) ON DELETE CASCADE,
  event_seq        bigint      NOT NULL,                    -- the event's receive order
  subscriber_id    text        NOT NULL,
  state            text        NOT NULL
                   CHECK (state IN ('pending', 'leased', 'retry_scheduled', 'succeeded', 'dead', 'discarded')),
  -- Ordered subscribers: subscriber + entity. Only the oldest open delivery of a key may run.
  ordering_key     text,
  run_at           timestamptz NOT NULL,
  lease_owner      text,
  attempts         integer     NOT NULL DEFAULT 0,          -- in this cycle (a replay starts a new one)
  total_attempts   integer     NOT NULL DEFAULT 0,
  cycle_started_at timestamptz NOT NULL,                    -- max age counts from here
  last_error       text,
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  completed_at     timestamptz,
  UNIQUE (event_id, subscriber_id)
);

-- Claiming: the open deliveries of one subscriber, oldest due first.
CREATE INDEX deliveries_due ON deliveries (subscriber_id, run_at)
  WHERE state IN ('pending', 'leased', 'retry_scheduled');
-- Ordering: is there an older open delivery for the same entity?
CREATE INDEX deliveries_ordering ON deliveries (ordering_key, event_seq)
  WHERE ordering_key IS NOT NULL AND state IN ('pending', 'leased', 'retry_scheduled');
-- The dead-letter queue, newest first (the listing orders by seq).
CREATE INDEX deliveries_dead ON deliveries (seq) WHERE state = 'dead';

-- Attempts: every run of a delivery, kept with its outcome (the history a replay never erases).
CREATE TABLE attempts (
  seq           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id            text        NOT NULL UNIQUE,                -- att_<ulid>
  delivery_id   text        NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  number        integer     NOT NULL,                       -- 1, 2, … over all cycles
  worker        text        NOT NULL,
  started_at    timestamptz NOT NULL,
  duration_ms   double precision NOT NULL,
  outcome       text        NOT NULL CHECK (outcome IN ('succeeded', 'retry', 'dead', 'lease_lost')),
  error_class   text,
  error_message text,
  error_stack   text,
  response      jsonb                                       -- what a destination answered
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, number);
CREATE INDEX attempts_started ON attempts (started_at);

-- ctx.once(key, fn): the recorded result of a side effect, so a retried handler does not repeat it.
CREATE TABLE once_results (
  delivery_id text        NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  key         text        NOT NULL,
  result      jsonb,
  created_at  timestamptz NOT NULL,
  PRIMARY KEY (delivery_id, key)
);
