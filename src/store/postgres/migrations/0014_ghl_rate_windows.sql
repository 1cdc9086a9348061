-- GHL's rate limits, shared by every gateway process on this database: one row per app and location
-- or company (src/store/ghl-rate-limit-store.ts), read and rewritten under its row lock at every GHL
-- call. Times are unix ms on the database's clock (bigint, not timestamptz: the rule that reads them,
-- src/store/ghl-rate-window.ts, is arithmetic on ms shared with SQLite). The log holds at most one
-- window's calls (100 numbers by default).
CREATE TABLE ghl_rate_windows (
  app_id        text    NOT NULL,
  user_type     text    NOT NULL CHECK (user_type IN ('Location', 'Company')),
  owner_id      text    NOT NULL,
  calls         text    NOT NULL,                      -- JSON array: unix ms of the calls granted within the window, oldest first
  day_start     bigint  NOT NULL,                      -- unix ms of the UTC midnight day_calls counts from
  day_calls     integer NOT NULL,
  paused_until  bigint,                                -- unix ms: GHL said no more until then (429, remaining 0)
  paused_window text    CHECK (paused_window IN ('burst', 'daily')),
  ghl_burst     integer,                               -- limits GHL's X-RateLimit-* headers announced
  ghl_window_ms integer,
  ghl_daily     integer,
  updated_at    bigint  NOT NULL,                      -- unix ms
  PRIMARY KEY (app_id, user_type, owner_id)
);
