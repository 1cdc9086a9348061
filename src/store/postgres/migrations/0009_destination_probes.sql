-- "Probe now" for a destination's circuit breaker, across processes. Each process keeps its own
-- breaker in memory (src/destinations/http/circuit-breaker.ts); a probe request is recorded here
-- and every process, on its next destination reload (at once: the request NOTIFYs; else within
-- the reload interval), moves its open circuit to half-open when the value differs from the one
-- it last acted on (src/destinations/destination-set.ts).
-- `probe_requested_at`: when the last probe was asked for (the API, a replay into the destination).
-- Nullable, no default: the previous release lists its columns and runs unchanged on this schema
-- (and adding such a column does not rewrite the table).
ALTER TABLE destinations ADD COLUMN probe_requested_at timestamptz;
