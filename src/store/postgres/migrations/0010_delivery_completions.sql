-- The console's charts over time (src/store/sql/stats-series.ts).
--
-- How many deliveries finished in each bucket, in which state, and since when each was open.
-- Partial, so inserting an open delivery writes nothing here; a delivery enters it once, when it
-- finishes (and leaves on replay). The three columns make it covering: the series reads no row.
CREATE INDEX deliveries_completed ON deliveries (completed_at, state, cycle_started_at)
  WHERE completed_at IS NOT NULL;

-- Attempts by time now carry their outcome: the series (and /health's last-hour counts) count
-- outcomes per time range from the index alone. Same entries as before, one short column wider.
DROP INDEX attempts_started;
CREATE INDEX attempts_started ON attempts (started_at, outcome);
