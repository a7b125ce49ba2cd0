-- 016: the outbox's claim and the Home-tab refresh stay index lookups however many notifications wait.
--
-- A notification is due only when no older one about the same parent message still waits (updates apply in
-- order). That check had no index on parent_id, and was written so that the planner could join it against every
-- waiting row: with 50,000 approval messages waiting behind Slack's rate limit (a burst into one channel), one
-- claim took 234 ms and the outbox delivered 11 messages a second. The claim now asks it only of rows that have
-- a parent (PortalStore.claimNextNotification), through the first index: 0.15 ms for the same 50,000.
--
-- `querygate_refresh_home_tabs` asks, for each person whose Home tab a change touches, whether a refresh of
-- theirs already waits: the second index answers that without reading every waiting notification.
--
-- Both are partial: a notification enters them only while it waits, and only if it has a parent or is a Home tab.
BEGIN;

CREATE INDEX IF NOT EXISTS slack_notifications_pending_children_idx ON slack_notifications (parent_id, id)
    WHERE status = 'pending' AND parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS slack_notifications_pending_home_tabs_idx ON slack_notifications (recipient)
    WHERE status = 'pending' AND notification_type = 'home_tab';

COMMIT;
