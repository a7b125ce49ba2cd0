-- 005: what running a request leaves behind: where the error points, and the full result as CSV until it is
-- delivered to Slack. query_requests.result_summary holds the outcome (statements, preview rows, or the error).
BEGIN;

ALTER TABLE query_requests
    ADD COLUMN IF NOT EXISTS error_position INTEGER CHECK (error_position > 0);

-- The CSV export of a result too large for the Slack preview, in chunks so that neither writing nor uploading
-- it needs the whole file in memory. Deleted once uploaded.
CREATE TABLE IF NOT EXISTS query_result_exports (
    request_id BIGINT NOT NULL REFERENCES query_requests (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    data       BYTEA NOT NULL,
    PRIMARY KEY (request_id, seq)
);

COMMIT;
