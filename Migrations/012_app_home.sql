-- 012: Slack's App Home. QueryGate republishes a person's Home tab (their decisions to take, their requests) when
-- those requests change, but only for people who have opened it once: nobody else is sent views they never look at.
BEGIN;

ALTER TABLE users ADD COLUMN IF NOT EXISTS home_opened_at TIMESTAMPTZ;

COMMIT;
