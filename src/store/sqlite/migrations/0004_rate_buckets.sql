-- Token buckets shared by every gateway process on this database (destination rate limits).
-- A process takes a few tokens at a time (`takeRateTokens`); the refill is computed from the time
-- since `updated_at` in the statement that takes them.
CREATE TABLE rate_buckets (
  key        TEXT    PRIMARY KEY,
  tokens     REAL    NOT NULL,
  granted    INTEGER NOT NULL,                         -- what the last take got (RETURNING reads it)
  updated_at INTEGER NOT NULL                          -- unix ms
);
