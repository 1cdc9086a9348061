-- Re-auth visibility and refresh tokens close to a year unused (src/store/ghl-token-store.ts).
-- Counting and listing rows by status (the gauge, doctor, GET /api/ghl/tokens?status=): a covering
-- index, so a count reads index entries only and a page is one range of it.
CREATE INDEX ghl_tokens_status ON ghl_tokens (status, app_id, user_type, owner_id);
-- The background refresh of refresh tokens left unused for long: only rows it could refresh.
CREATE INDEX ghl_tokens_refreshed ON ghl_tokens (refreshed_at) WHERE status = 'active' AND refresh_token IS NOT NULL;
