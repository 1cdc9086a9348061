-- Orphaned config destinations (src/dispatch/destinations-orphans.ts). A config-file destination
-- that no running gateway's config file defines any more is kept and paused until it is back in a
-- file or deleted explicitly: its open deliveries are never dead-lettered behind anyone's back.
-- `config_seen_at`: when a process whose config file defines it last said so (at boot and at each
--   reload, ~10 s); NULL once that process stopped cleanly.
-- `orphaned_at`: when it was found orphaned (and paused); NULL when it is not.
-- Nullable, no default: the previous release lists its columns and runs unchanged on this schema
-- (and adding such a column does not rewrite the table).
ALTER TABLE destinations
  ADD COLUMN config_seen_at timestamptz,
  ADD COLUMN orphaned_at    timestamptz;
