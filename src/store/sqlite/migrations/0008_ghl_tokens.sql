-- OAuth tokens of the GHL app: one row per location or company that installed it (src/ghl/,
-- docs/ghl-apps.md; the row's life is described in src/store/ghl-token-store.ts). Both tokens are
-- AES-256-GCM ciphertexts bound to this row; the database never holds a token in clear.
CREATE TABLE ghl_tokens (
  app_id        TEXT    NOT NULL,                      -- GHL_APP_ID
  user_type     TEXT    NOT NULL CHECK (user_type IN ('Location', 'Company')),
  owner_id      TEXT    NOT NULL,                      -- locationId, or companyId for a Company token
  company_id    TEXT,                                  -- the agency of a location, when GHL said
  key_id        TEXT    NOT NULL,                      -- the GHL_TOKEN_KEY entry that encrypted both
  access_token  BLOB    NOT NULL,
  refresh_token BLOB,                                  -- NULL: a token GHL does not refresh
  expires_at    INTEGER,                               -- unix ms; NULL: does not expire
  scopes        TEXT    NOT NULL,
  status        TEXT    NOT NULL CHECK (status IN ('active', 'needs_reauth', 'revoked')),
  status_reason TEXT,
  version       INTEGER NOT NULL,                      -- +1 at every write (compare-and-swap)
  lease_holder  TEXT,                                  -- the process refreshing, or the one interrupted
  lease_until   INTEGER,                               -- unix ms
  refreshed_at  INTEGER,
  created_at    INTEGER NOT NULL,
  updated_at    INTEGER NOT NULL,
  PRIMARY KEY (app_id, user_type, owner_id)
);
-- The boot check reads one row per key id.
CREATE INDEX ghl_tokens_key ON ghl_tokens (key_id);
-- Interrupted refreshes: normally empty.
CREATE INDEX ghl_tokens_leased ON ghl_tokens (lease_until) WHERE lease_holder IS NOT NULL;
