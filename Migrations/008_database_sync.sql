-- 008: what the hybrid sync needs beyond the seed's tables.
--
-- * Blacklist patterns get a kind: exact, prefix or regex (POSIX, as PostgreSQL's `~`). The seed documented
--   `pattern` as SQL LIKE syntax, which nothing ever read; a row that used LIKE wildcards keeps its meaning as
--   the equivalent anchored regex, one with only a trailing % becomes a prefix, any other is exact.
-- * A database can be inactive for two reasons that must stay apart: an administrator disabled it
--   (`is_active = false`, `missing_since` NULL), or a sync found it gone from its server (`missing_since` set).
--   Only the second is undone by a sync that sees the name again.
-- * The history counts reactivated and marked-missing databases and says what triggered the run.
-- * `rdsadmin` (Amazon RDS) joins the system databases blacklisted by default.
BEGIN;

DO $migration$
BEGIN
    -- Converted only when the column is first added, so applying this file again by hand never re-reads an
    -- exact pattern (`my_db`) as LIKE syntax.
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_schema = current_schema() AND table_name = 'database_blacklist' AND column_name = 'kind') THEN
        ALTER TABLE database_blacklist
            ADD COLUMN kind TEXT NOT NULL DEFAULT 'exact' CHECK (kind IN ('exact', 'prefix', 'regex'));
        UPDATE database_blacklist SET kind = 'prefix', pattern = left(pattern, -1)
        WHERE pattern ~ '^[^%_\\]+%$';
        UPDATE database_blacklist
        SET kind = 'regex',
            pattern = '^' || replace(replace(regexp_replace(pattern, '([.^$*+?()\[\]{}|\\])', '\\\1', 'g'), '%', '.*'), '_', '.') || '$'
        WHERE kind = 'exact' AND pattern ~ '[%_]';
    END IF;
END
$migration$;

INSERT INTO database_blacklist (instance_id, pattern, reason) VALUES
    (NULL, 'rdsadmin', 'Amazon RDS administration database')
ON CONFLICT DO NOTHING;

ALTER TABLE databases
    ADD COLUMN IF NOT EXISTS missing_since TIMESTAMPTZ;
ALTER TABLE databases
    DROP CONSTRAINT IF EXISTS databases_missing_is_inactive,
    ADD CONSTRAINT databases_missing_is_inactive CHECK (missing_since IS NULL OR NOT is_active);

ALTER TABLE database_sync_history
    ADD COLUMN IF NOT EXISTS databases_reactivated    INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS databases_marked_missing INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS databases_skipped        INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS triggered_via            TEXT NOT NULL DEFAULT 'cli'
        CHECK (triggered_via IN ('startup', 'schedule', 'cli', 'api', 'slack')),
    ADD COLUMN IF NOT EXISTS triggered_by_label       TEXT;

COMMIT;
