-- Token buckets shared by every gateway process on this database (destination rate limits).
-- A process takes a few tokens at a time (`takeRateTokens`); the refill is computed from the time
-- since `updated_at` in the statement that takes them, on the database's clock, so the processes'
-- clocks do not matter.
CREATE TABLE rate_buckets (
  key        text             PRIMARY KEY,
  tokens     double precision NOT NULL,
  granted    integer          NOT NULL,                -- what the last take got (RETURNING reads it)
  updated_at timestamptz      NOT NULL
);
