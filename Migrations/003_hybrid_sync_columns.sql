-- 003: the seed's Migrationhybridsync.sql. Credentials by reference, and sync bookkeeping.
--
-- database_instances never stores a secret: it names environment variables. A PostgreSQL instance names a
-- prefix (PG_INSTANCE_1 means PG_INSTANCE_1_HOST, _PORT, _USER, _PASSWORD); a MongoDB instance names the
-- variable holding its connection string (MONGO_INSTANCE_1_URI).
BEGIN;

ALTER TABLE database_instances
    ADD COLUMN IF NOT EXISTS credentials_env_prefix TEXT
        CHECK (credentials_env_prefix ~ '^[A-Z_][A-Z0-9_]{0,62}$'),
    ADD COLUMN IF NOT EXISTS connection_string_env TEXT
        CHECK (connection_string_env ~ '^[A-Z_][A-Z0-9_]{0,62}$'),
    ADD COLUMN IF NOT EXISTS last_sync_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS last_sync_status TEXT;

-- `manual` rows were added by an administrator and survive a sync; `synced` rows come from the instance.
ALTER TABLE databases
    ADD COLUMN IF NOT EXISTS source TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'synced')),
    ADD COLUMN IF NOT EXISTS last_seen_at TIMESTAMPTZ;

COMMIT;
