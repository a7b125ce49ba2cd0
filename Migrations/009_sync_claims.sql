-- 009: a sync claims its instance with its own history row instead of holding a portal transaction (and a pooled
-- connection) open while it lists a remote server for up to QUERYGATE_SYNC_TIMEOUT.
--
-- * `status` gains 'queued': a sync asked for through the API or Slack waits there for a worker of
--   `querygate serve` (or for the next `querygate sync`), durably.
-- * At most one unfinished (queued or running) row per instance: a second request finds the first and says so.
-- * A running row names the process running it and until when its claim holds; a row whose lease has expired
--   (that process died) is closed as failed, "interrupted", by the next sync of the instance.
-- * `requested_at` is when it was asked for (`started_at` is when it began to run), and `reply_slack_user` /
--   `reply_slack_channel` where to tell a Slack requester how it ended.
BEGIN;

ALTER TABLE database_sync_history
    ADD COLUMN IF NOT EXISTS requested_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    ADD COLUMN IF NOT EXISTS claimed_by          TEXT,
    ADD COLUMN IF NOT EXISTS lease_expires_at    TIMESTAMPTZ,
    ADD COLUMN IF NOT EXISTS reply_slack_user    TEXT,
    ADD COLUMN IF NOT EXISTS reply_slack_channel TEXT;

-- No version before this one leaves a row running; one a crash left so would block the unique index below.
UPDATE database_sync_history
SET status = 'failed', finished_at = coalesce(finished_at, now()),
    error_message = coalesce(error_message, 'interrupted: it never finished')
WHERE status = 'running';

ALTER TABLE database_sync_history
    DROP CONSTRAINT IF EXISTS database_sync_history_status_check,
    ADD CONSTRAINT database_sync_history_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed'));

CREATE UNIQUE INDEX IF NOT EXISTS database_sync_history_one_unfinished
    ON database_sync_history (instance_id) WHERE status IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS database_sync_history_queued_idx
    ON database_sync_history (id) WHERE status = 'queued';

COMMIT;
