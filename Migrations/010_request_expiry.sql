-- 010: requests nobody decides expire, and their approvers are reminded first. A pod may keep its requests open
-- for longer or shorter than the default (`QUERYGATE_REQUEST_TTL`); NULL follows the default. A request records
-- when its approvers were reminded (once, before it expires) and when its requester last nudged them (at most once
-- an hour). The index serves the sweep, which reads the open requests by age.
BEGIN;

ALTER TABLE query_requests
    ADD COLUMN IF NOT EXISTS reminded_at TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS nudged_at   TIMESTAMPTZ;

ALTER TABLE pods
    ADD COLUMN IF NOT EXISTS request_ttl_seconds INTEGER CHECK (request_ttl_seconds > 0);

CREATE INDEX IF NOT EXISTS query_requests_open_idx ON query_requests (created_at)
    WHERE status IN ('pending', 'approved');

COMMIT;
