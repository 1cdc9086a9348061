-- The claim reads deliveries in (run_at, seq) order, but `deliveries_due` ends at run_at: every
-- delivery due at the same instant (a burst received within one millisecond, a replay or a bulk
-- job that makes thousands due "now", a backlog enqueued together) formed one group that each claim
-- read and sorted whole before taking its few rows — ~1 ms of PostgreSQL CPU per delivery over a
-- 5,000-delivery backlog (bench/deliver.ts). With seq in the key the index is the claim's order.
-- (SQLite's index already ends with the rowid, which is seq.)
CREATE INDEX deliveries_due_in_order ON deliveries (subscriber_id, run_at, seq)
  WHERE state IN ('pending', 'leased', 'retry_scheduled');
DROP INDEX deliveries_due;
ALTER INDEX deliveries_due_in_order RENAME TO deliveries_due;
