-- GHL's rate limits, shared by every gateway process on this database: one row per app and location
-- or company (src/store/ghl-rate-limit-store.ts), read and rewritten under the write lock at every
-- GHL call. Its size is bounded: the log holds at most one window's calls (100 numbers by default).
CREATE TABLE ghl_rate_windows (
  app_id        TEXT    NOT NULL,
  user_type     TEXT    NOT NULL CHECK (user_type IN ('Location', 'Company')),
  owner_id      TEXT    NOT NULL,
  calls         TEXT    NOT NULL,                      -- JSON array: unix ms of the calls granted within the window, oldest first
  day_start     INTEGER NOT NULL,                      -- unix ms of the UTC midnight day_calls counts from
  day_calls     INTEGER NOT NULL,
  paused_until  INTEGER,                               -- unix ms: GHL said no more until then (429, remaining 0)
  paused_window TEXT    CHECK (paused_window IN ('burst', 'daily')),
  ghl_burst     INTEGER,                               -- limits GHL's X-RateLimit-* headers announced
  ghl_window_ms INTEGER,
  ghl_daily     INTEGER,
  updated_at    INTEGER NOT NULL,                      -- unix ms
  PRIMARY KEY (app_id, user_type, owner_id)
);
