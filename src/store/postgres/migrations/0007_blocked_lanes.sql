-- Blocked ordered lanes (src/store/sql/blocked-lanes.ts): the ordered deliveries that failed and
-- wait for a retry, oldest event first. Partial, so it holds only failing ordered deliveries: a
-- delivery that succeeds at its first attempt never enters it (no work on ingest or claims).
CREATE INDEX deliveries_retrying_ordered ON deliveries (event_seq)
  WHERE state = 'retry_scheduled' AND ordering_key IS NOT NULL;
