-- 010: requests nobody decides expire. A pod may keep its requests open for longer or shorter than the default
-- (`QUERYGATE_REQUEST_TTL`); NULL follows the default. The index serves the expiry sweep, which reads the open
-- requests by age.
BEGIN;

ALTER TABLE pods
    ADD COLUMN IF NOT EXISTS request_ttl_seconds INTEGER CHECK (request_ttl_seconds > 0);

CREATE INDEX IF NOT EXISTS query_requests_open_idx ON query_requests (created_at)
    WHERE status IN ('pending', 'approved');

COMMIT;
