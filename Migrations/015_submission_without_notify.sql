-- 015: a submission without NOTIFY. A NOTIFY makes its transaction take a lock that every notifying commit in
-- the database queues for, and `querygate_submit` is the hottest statement: under 16 concurrent submissions,
-- pgbench ran it 38% more often without its `pg_notify`. Its outbox rows (the approval message, the Home tabs) are
-- delivered by the replica that recorded the submission: `PortalStore.submit` wakes that process's outbox worker
-- itself (`PortalStore.LocalWakeUps`). Other replicas see the rows at their next poll, should the local worker be
-- busy or absent. Everything else that queues outbox rows still notifies (it is rarer, and may run where no
-- outbox worker does, such as an expiry sweep or `querygate` on an admin's laptop).
--
-- `querygate_refresh_home_tabs` no longer notifies either; `querygate_enqueue_approval_update`, its other caller,
-- notifies for the Home-tab rows it queued.
BEGIN;

CREATE OR REPLACE FUNCTION querygate_refresh_home_tabs(p_request_id BIGINT) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    v_queued INTEGER;
BEGIN
    INSERT INTO slack_notifications (notification_type, recipient, payload)
    SELECT 'home_tab', u.slack_user_id, '{}'::jsonb
    FROM query_requests r JOIN users u
      ON u.id = r.requester_id OR u.role = 'admin' OR (u.role = 'manager' AND u.pod_id = r.pod_id)
    WHERE r.id = p_request_id AND u.home_opened_at IS NOT NULL AND u.slack_user_id IS NOT NULL AND u.is_active
      AND NOT EXISTS (
          SELECT 1 FROM slack_notifications n
          WHERE n.notification_type = 'home_tab' AND n.recipient = u.slack_user_id AND n.status = 'pending' AND n.claimed_by IS NULL);
    GET DIAGNOSTICS v_queued = ROW_COUNT;
    RETURN v_queued;
END
$$;

CREATE OR REPLACE FUNCTION querygate_enqueue_approval_update(p_request_id BIGINT) RETURNS VOID
LANGUAGE plpgsql AS $$
DECLARE
    v_parent BIGINT;
    v_channel TEXT;
    v_tabs INTEGER;
BEGIN
    v_tabs := querygate_refresh_home_tabs(p_request_id);
    SELECT id, recipient INTO v_parent, v_channel FROM slack_notifications
    WHERE request_id = p_request_id AND notification_type = 'approval_request' ORDER BY id LIMIT 1;
    IF NOT FOUND THEN
        IF v_tabs > 0 THEN PERFORM pg_notify('querygate_outbox', ''); END IF;
        RETURN;
    END IF;
    INSERT INTO slack_notifications (request_id, notification_type, recipient, parent_id, payload)
    VALUES (p_request_id, 'approval_update', v_channel, v_parent, '{}'::jsonb);
    PERFORM pg_notify('querygate_outbox', '');
END
$$;

CREATE OR REPLACE FUNCTION querygate_submit(
    p_requester_id BIGINT, p_pod_id BIGINT, p_actor_label TEXT, p_source TEXT, p_submitted_via TEXT, p_action TEXT,
    p_instance TEXT, p_database TEXT, p_submission_type TEXT, p_query_text TEXT, p_reason TEXT,
    p_postgresql_level INTEGER, p_mongodb_level INTEGER, p_milliseconds_left INTEGER
) RETURNS TABLE (outcome TEXT, database_type TEXT, request_id BIGINT, pod_name TEXT, channel TEXT, approvals_required INTEGER,
                 approvers JSONB)
LANGUAGE plpgsql AS $$
DECLARE
    v_deadline TIMESTAMPTZ := clock_timestamp() + make_interval(secs => coalesce(p_milliseconds_left, 0) / 1000.0);
    v_database BIGINT;
    v_usable BOOLEAN;
    v_missing BOOLEAN;
    v_level INTEGER;
BEGIN
    IF p_milliseconds_left IS NOT NULL THEN
        PERFORM set_config('lock_timeout', greatest(p_milliseconds_left, 1)::text, true);
    END IF;

    SELECT d.id, d.is_active AND i.is_active, i.type, d.missing_since IS NOT NULL
    INTO v_database, v_usable, database_type, v_missing
    FROM databases d JOIN database_instances i ON i.id = d.instance_id
    WHERE i.name = p_instance AND d.name = p_database;
    IF NOT FOUND THEN outcome := 'no_such_target'; RETURN NEXT; RETURN; END IF;
    IF v_missing THEN outcome := 'target_missing'; RETURN NEXT; RETURN; END IF;
    IF NOT v_usable THEN outcome := 'target_disabled'; RETURN NEXT; RETURN; END IF;
    v_level := CASE database_type WHEN 'mongodb' THEN p_mongodb_level ELSE p_postgresql_level END;
    IF v_level IS NULL THEN outcome := 'invalid_for_engine'; RETURN NEXT; RETURN; END IF;

    -- The request copies the approvals its risk class needs in its pod now (migration 011).
    SELECT p.name, p.slack_channel_id,
           CASE v_level WHEN 0 THEN p.approvals_read_only WHEN 1 THEN p.approvals_write WHEN 2 THEN p.approvals_ddl
                ELSE p.approvals_dangerous END
    INTO pod_name, channel, approvals_required
    FROM pods p WHERE p.id = p_pod_id;
    IF NOT FOUND THEN outcome := 'no_pod'; RETURN NEXT; RETURN; END IF;

    INSERT INTO query_requests (requester_id, pod_id, database_id, submission_type, query_text, reason, submitted_via,
                                approvals_required)
    VALUES (p_requester_id, p_pod_id, v_database, p_submission_type, p_query_text, p_reason, p_submitted_via, approvals_required)
    RETURNING id INTO request_id;
    INSERT INTO audit_logs (actor_user_id, actor_label, source, action, entity_type, entity_id, details)
    VALUES (p_requester_id, p_actor_label, p_source, p_action, 'query_request', request_id::text,
            jsonb_build_object('target', p_instance || '/' || p_database, 'type', p_submission_type));
    INSERT INTO slack_notifications (request_id, notification_type, recipient, payload)
    VALUES (request_id, 'approval_request', channel, '{}'::jsonb);
    PERFORM querygate_refresh_home_tabs(request_id);

    SELECT coalesce(jsonb_agg(jsonb_build_object('name', u.name, 'email', u.email, 'slack_user_id', u.slack_user_id) ORDER BY u.name), '[]')
    INTO approvers
    FROM users u WHERE u.pod_id = p_pod_id AND u.role = 'manager' AND u.is_active;

    IF p_milliseconds_left IS NOT NULL AND clock_timestamp() > v_deadline THEN
        RAISE EXCEPTION 'the answer''s deadline passed before the submission was recorded; nothing was' USING ERRCODE = '57014';
    END IF;
    outcome := 'submitted';
    RETURN NEXT;
END
$$;

COMMIT;
