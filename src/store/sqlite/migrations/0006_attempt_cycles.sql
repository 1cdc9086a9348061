-- One attempt numbering everywhere. A delivery runs in cycles: cycle 0 is the original, each
-- replay starts the next one (1, 2, …). An attempt is numbered 1, 2, … within its cycle — what
-- ctx.attempt, the x-gateway-attempt header, the logs, the live stream, the API and the CLI show.
-- Until now `attempts.number` counted across cycles, so after a replay the record said 4 where the
-- handler and the destination had been told 1.
--
-- From here on `attempts.number` is the number within the cycle and `cycle` names the cycle.
-- Rows written earlier keep their number and read as cycle 0: exact for deliveries never replayed;
-- for replayed ones it is the count across cycles they always showed. Replays made earlier are not
-- counted in `deliveries.cycle`. Constant defaults, so neither table is rewritten.
-- During a rolling upgrade an older replica still writes the count across cycles (with cycle 0),
-- and its replays leave `cycle` as it is.
ALTER TABLE deliveries ADD COLUMN cycle INTEGER NOT NULL DEFAULT 0;  -- 0 = original, n = n-th replay
ALTER TABLE attempts ADD COLUMN cycle INTEGER NOT NULL DEFAULT 0;    -- the delivery's cycle when it ran
