-- OAuth tokens of the GHL app: one row per location or company that installed it (src/ghl/,
-- docs/ghl-apps.md; the row's life is described in src/store/ghl-token-store.ts). Both tokens are
-- AES-256-GCM ciphertexts bound to this row; the database never holds a token in clear.
CREATE TABLE ghl_tokens (
  app_id        text        NOT NULL,                  -- GHL_APP_ID
  user_type     text        NOT NULL CHECK (user_type IN ('Location', 'Company')),
  owner_id      text        NOT NULL,                  -- locationId, or companyId for a Company token
  company_id    text,                                  -- the agency of a location, when GHL said
  key_id        text        NOT NULL,                  -- the GHL_TOKEN_KEY entry that encrypted both
  access_token  bytea       NOT NULL,
  refresh_token bytea,                                 -- NULL: a token GHL does not refresh
  expires_at    timestamptz,                           -- NULL: does not expire
  scopes        text        NOT NULL,
  status        text        NOT NULL CHECK (status IN ('active', 'needs_reauth', 'revoked')),
  status_reason text,
  version       integer     NOT NULL,                  -- +1 at every write (compare-and-swap)
  lease_holder  text,                                  -- the process refreshing, or the one interrupted
  lease_until   timestamptz,                           -- on the database's clock
  refreshed_at  timestamptz,
  created_at    timestamptz NOT NULL,
  updated_at    timestamptz NOT NULL,
  PRIMARY KEY (app_id, user_type, owner_id)
);
-- The boot check reads one row per key id.
CREATE INDEX ghl_tokens_key ON ghl_tokens (key_id);
-- Interrupted refreshes: normally empty.
CREATE INDEX ghl_tokens_leased ON ghl_tokens (lease_until) WHERE lease_holder IS NOT NULL;
