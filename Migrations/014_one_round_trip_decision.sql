-- 014: a decision in one round trip. QueryGate judges a click (RequestWorkflow) on facts it read with the clicker;
-- `querygate_apply_decision` applies the verdict only if those facts still hold, in one statement that is its own
-- transaction: the approval row, the conditional move, the audit row, the approval message's update, the Home
-- tab refreshes, the executor's wake-up and the requester's direct message. When the facts changed (another click
-- landed first) it does nothing and says so, and QueryGate reads them again and judges again.
--
-- The outbox rows every state change queues are functions too, so the transactions written in Swift (expiry,
-- execution) and this statement queue the same rows. Deadline: as `querygate_submit` (013).
BEGIN;

-- A `chat.update` of the request's approval message (it waits for that message's ts), and the Home tabs.
CREATE OR REPLACE FUNCTION querygate_enqueue_approval_update(p_request_id BIGINT) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    v_parent BIGINT;
    v_channel TEXT;
BEGIN
    PERFORM querygate_refresh_home_tabs(p_request_id);
    SELECT id, recipient INTO v_parent, v_channel FROM slack_notifications
    WHERE request_id = p_request_id AND notification_type = 'approval_request' ORDER BY id LIMIT 1;
    IF NOT FOUND THEN RETURN; END IF;
    INSERT INTO slack_notifications (request_id, notification_type, recipient, parent_id, payload)
    VALUES (p_request_id, 'approval_update', v_channel, v_parent, '{}'::jsonb);
    PERFORM pg_notify('querygate_outbox', '');
END
$$;

-- A direct message to the request's requester about `p_event`, if they have a Slack account.
CREATE OR REPLACE FUNCTION querygate_enqueue_direct_message(p_request_id BIGINT, p_event TEXT) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    v_slack_user TEXT;
BEGIN
    SELECT u.slack_user_id INTO v_slack_user FROM query_requests r JOIN users u ON u.id = r.requester_id WHERE r.id = p_request_id;
    IF v_slack_user IS NULL THEN RETURN; END IF;
    INSERT INTO slack_notifications (request_id, notification_type, recipient, payload)
    VALUES (p_request_id, 'direct_message', v_slack_user, jsonb_build_object('event', p_event));
    PERFORM pg_notify('querygate_outbox', '');
END
$$;

-- Applies a verdict judged on (p_expected_status, p_expected_approvers): records p_user_id's approval when
-- p_record_approval, moves the request to p_to unless it is NULL (an approval that is not the last one needed),
-- audits p_action with p_details, queues the message's update, wakes the executors on p_executor_channel for an
-- approval, and queues a direct message about p_event unless it is NULL. Returns false, having done nothing, when
-- the request is no longer in the state judged.
CREATE OR REPLACE FUNCTION querygate_apply_decision(
    p_request_id BIGINT, p_user_id BIGINT, p_actor_label TEXT, p_source TEXT,
    p_expected_status TEXT, p_expected_approvers BIGINT[], p_record_approval BOOLEAN, p_to TEXT, p_reason TEXT,
    p_action TEXT, p_details JSONB, p_event TEXT, p_executor_channel TEXT, p_milliseconds_left INTEGER
) RETURNS BOOLEAN
LANGUAGE plpgsql AS $$
DECLARE
    v_deadline TIMESTAMPTZ := clock_timestamp() + make_interval(secs => coalesce(p_milliseconds_left, 0) / 1000.0);
    v_status TEXT;
    v_approvers BIGINT[];
BEGIN
    IF p_milliseconds_left IS NOT NULL THEN
        PERFORM set_config('lock_timeout', greatest(p_milliseconds_left, 1)::text, true);
    END IF;
    -- The row lock orders the decisions on one request. The approvals are read by a statement of its own once it
    -- is held: under READ COMMITTED that statement sees what the decision it waited for committed, which a
    -- subquery of the locking statement would not.
    SELECT status INTO v_status FROM query_requests WHERE id = p_request_id FOR UPDATE;
    SELECT coalesce(array_agg(approver_id ORDER BY approved_at, approver_id), '{}') INTO v_approvers
    FROM request_approvals WHERE request_id = p_request_id;
    IF v_status IS DISTINCT FROM p_expected_status OR v_approvers <> p_expected_approvers THEN
        RETURN false;
    END IF;

    IF p_record_approval THEN
        INSERT INTO request_approvals (request_id, approver_id) VALUES (p_request_id, p_user_id);
    END IF;
    IF p_to IS NOT NULL THEN
        UPDATE query_requests SET
            status = p_to,
            approved_by = CASE WHEN p_to = 'approved' THEN p_user_id ELSE approved_by END,
            approved_at = CASE WHEN p_to = 'approved' THEN now() ELSE approved_at END,
            rejected_by = CASE WHEN p_to = 'rejected' THEN p_user_id ELSE rejected_by END,
            rejected_at = CASE WHEN p_to = 'rejected' THEN now() ELSE rejected_at END,
            rejection_reason = CASE WHEN p_to = 'rejected' THEN p_reason ELSE rejection_reason END,
            cancelled_at = CASE WHEN p_to = 'cancelled' THEN now() ELSE cancelled_at END,
            updated_at = now()
        WHERE id = p_request_id;
    END IF;
    INSERT INTO audit_logs (actor_user_id, actor_label, source, action, entity_type, entity_id, details)
    VALUES (p_user_id, p_actor_label, p_source, p_action, 'query_request', p_request_id::text, p_details);
    PERFORM querygate_enqueue_approval_update(p_request_id);
    IF p_to = 'approved' THEN PERFORM pg_notify(p_executor_channel, p_request_id::text); END IF;
    IF p_event IS NOT NULL THEN PERFORM querygate_enqueue_direct_message(p_request_id, p_event); END IF;

    IF p_milliseconds_left IS NOT NULL AND clock_timestamp() > v_deadline THEN
        RAISE EXCEPTION 'the answer''s deadline passed before the decision was recorded; nothing was' USING ERRCODE = '57014';
    END IF;
    RETURN true;
END
$$;

COMMIT;
