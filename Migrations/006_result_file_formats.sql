-- 006: a result may be uploaded as more than one file: a MongoDB result as JSON Lines, and also as CSV when its
-- documents are flat. Each stored export now says its format; existing rows are CSV (all 005 wrote).
BEGIN;

ALTER TABLE query_result_exports
    ADD COLUMN IF NOT EXISTS format TEXT NOT NULL DEFAULT 'csv' CHECK (format IN ('csv', 'jsonl'));

DO $$
BEGIN
    -- The key gains the format; skipped when it already has it (the file is idempotent).
    IF NOT EXISTS (
        SELECT 1 FROM pg_constraint
        WHERE conname = 'query_result_exports_pkey' AND array_length(conkey, 1) = 3
    ) THEN
        ALTER TABLE query_result_exports DROP CONSTRAINT IF EXISTS query_result_exports_pkey;
        ALTER TABLE query_result_exports ADD CONSTRAINT query_result_exports_pkey PRIMARY KEY (request_id, format, seq);
    END IF;
END
$$;

COMMIT;
