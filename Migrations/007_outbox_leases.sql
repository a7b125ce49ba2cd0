-- 007: the Slack outbox claims a notification with a short, renewed lease, instead of holding a transaction and a
-- row lock open across the Slack call: a portal-database restart during a call no longer strands the worker, and a
-- slow Slack no longer holds portal connections. A row whose lease expired (its worker died mid-call) is due
-- again: QueryGate prefers a repeat to a loss.
BEGIN;

ALTER TABLE slack_notifications
    ADD COLUMN IF NOT EXISTS claimed_by       TEXT,
    ADD COLUMN IF NOT EXISTS lease_expires_at TIMESTAMPTZ;

COMMIT;
