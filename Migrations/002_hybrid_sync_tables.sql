-- 002: the seed's Migrationscript.sql. Tables for discovering databases on their instances ("hybrid sync"):
-- patterns never to list, and a history of sync runs.
BEGIN;

-- A pattern (SQL LIKE syntax) of database names to skip when syncing. instance_id NULL means every instance.
CREATE TABLE IF NOT EXISTS database_blacklist (
    id          BIGSERIAL PRIMARY KEY,
    instance_id BIGINT REFERENCES database_instances (id) ON DELETE CASCADE,
    pattern     TEXT NOT NULL CHECK (length(pattern) > 0),
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- One row per (scope, pattern); COALESCE because NULL (every instance) must collide with itself.
CREATE UNIQUE INDEX IF NOT EXISTS database_blacklist_scope_pattern_key
    ON database_blacklist (COALESCE(instance_id, 0), pattern);

-- System databases are never offered to users.
INSERT INTO database_blacklist (instance_id, pattern, reason) VALUES
    (NULL, 'template0', 'PostgreSQL system template'),
    (NULL, 'template1', 'PostgreSQL system template'),
    (NULL, 'postgres', 'PostgreSQL maintenance database'),
    (NULL, 'admin', 'MongoDB system database'),
    (NULL, 'local', 'MongoDB system database'),
    (NULL, 'config', 'MongoDB system database')
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS database_sync_history (
    id                BIGSERIAL PRIMARY KEY,
    instance_id       BIGINT NOT NULL REFERENCES database_instances (id) ON DELETE CASCADE,
    status            TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    databases_found   INTEGER NOT NULL DEFAULT 0,
    databases_added   INTEGER NOT NULL DEFAULT 0,
    databases_removed INTEGER NOT NULL DEFAULT 0,
    error_message     TEXT,
    triggered_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    started_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at       TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS database_sync_history_instance_idx
    ON database_sync_history (instance_id, started_at DESC);

COMMIT;
