-- Where the GHL app is installed: one row per location or company (src/store/installation-store.ts,
-- docs/ghl-apps.md). Token status is not copied here: it is read from ghl_tokens (same key).
CREATE TABLE ghl_installations (
  app_id         TEXT    NOT NULL,                     -- GHL_APP_ID
  user_type      TEXT    NOT NULL CHECK (user_type IN ('Location', 'Company')),
  owner_id       TEXT    NOT NULL,                     -- locationId, or companyId for a Company install
  company_id     TEXT,                                 -- the agency a location belongs to, when GHL said
  installed_at   INTEGER NOT NULL,                     -- unix ms of the install in effect
  uninstalled_at INTEGER,                              -- NULL while installed
  bulk           INTEGER NOT NULL CHECK (bulk IN (0, 1)), -- installed through an agency's bulk install
  tenant_id      TEXT,                                 -- the location's id in the user's own system
  updated_at     INTEGER NOT NULL,
  PRIMARY KEY (app_id, user_type, owner_id)
);
-- The locations of one agency: the company filter and the agency-uninstall cascade.
CREATE INDEX ghl_installations_company ON ghl_installations (app_id, company_id, user_type, owner_id)
  WHERE company_id IS NOT NULL;
-- The uninstalled ones: the status filter and what every process keeps in memory (normally few rows).
CREATE INDEX ghl_installations_uninstalled ON ghl_installations (app_id, user_type, owner_id)
  WHERE uninstalled_at IS NOT NULL;
-- Locations with a tenant id: what every process keeps in memory for the envelope.
CREATE INDEX ghl_installations_tenant ON ghl_installations (app_id, user_type, owner_id)
  WHERE tenant_id IS NOT NULL;
-- Tokens GHL refused: the needs-re-auth filter (normally few rows).
CREATE INDEX ghl_tokens_needs_reauth ON ghl_tokens (app_id, user_type, owner_id) WHERE status = 'needs_reauth';
-- An agency uninstall revokes every location token of the company (sql/revoke-ghl-company-tokens.ts).
CREATE INDEX ghl_tokens_company ON ghl_tokens (app_id, company_id) WHERE company_id IS NOT NULL;
