-- 019: submissions recorded set-wise. Migration 018 recorded a batch of submissions by calling
-- `querygate_record_submission` once per submission, and each call ran its own statements: for each INSERT the
-- server starts an executor, reads the table's check constraints back from their stored text and prepares them,
-- opens its indexes, and fires its foreign-key checks. perf of the server under `scripts/benchmark submissions`:
-- executor start-up and `ExecConstraints` (mostly `stringToNode` of the nine checks on query_requests) were 44% of
-- PostgreSQL's time. One statement for the whole batch pays them once: PostgreSQL's CPU per submission went from
-- 0.25-0.29 ms to 0.14-0.18 ms, and QueryGate answered 3,060-3,910 submissions/s instead of 2,460-2,890 (4 rounds,
-- taking turns, same machine).
--
-- The submission rules now live here, once, stated over a set: `querygate_record_submissions` judges every
-- submission as `querygate_record_submission` (017) judged one, in its order of checks, with the same answer columns
-- (NULL where 017 left them NULL), and records the submitted ones in one statement. `querygate_record_submission`
-- is that function over one-element arrays, so a lone submission, `querygate_submit` and an older replica all go
-- through the same rules. The Home tabs likewise: `querygate_refresh_home_tabs_for` takes the requests' people and
-- queues one refresh per person; `querygate_refresh_home_tabs` is it for one request.
--
-- Request ids follow the submissions' order (`item`), drawn from the table's own sequence. A batch is one
-- statement and one transaction as before: any error records none of it (QueryGate then sends them one by one), and
-- the batch's deadline (lock_timeout, then SQLSTATE 57014 past it) holds as in 018.
BEGIN;

-- The people whose Home tab shows a request by `p_requester_ids[i]` in pod `p_pod_ids[i]`, for any i, and who have
-- opened theirs: its requester, its pod's managers, the admins. One queued, unclaimed row per person is enough (the
-- tab renders from the state when delivered). Returns how many refreshes it queued. It takes the requests' people
-- rather than their ids so that it reads no table that grows with the requests: a plan made when the tables were
-- small (a pooled connection keeps its plans) must not turn into a scan of query_requests later, as one that read
-- them by `id = ANY (…)` did under `scripts/benchmark submissions` (PostgreSQL's CPU per submission rose from 0.51 to
-- 1.15 ms within one run).
CREATE OR REPLACE FUNCTION querygate_refresh_home_tabs_for(p_requester_ids BIGINT[], p_pod_ids BIGINT[]) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    v_queued INTEGER;
BEGIN
    INSERT INTO slack_notifications (notification_type, recipient, payload)
    SELECT 'home_tab', audience.slack_user_id, '{}'::jsonb
    FROM (SELECT DISTINCT u.slack_user_id
          FROM unnest(p_requester_ids, p_pod_ids) AS r(requester_id, pod_id) JOIN users u
            ON u.id = r.requester_id OR u.role = 'admin' OR (u.role = 'manager' AND u.pod_id = r.pod_id)
          WHERE u.home_opened_at IS NOT NULL AND u.slack_user_id IS NOT NULL AND u.is_active) AS audience
    -- OFFSET 0 keeps this a probe of slack_notifications_pending_home_tabs_idx per person: as an anti-join, a plan
    -- made while the table was small may hash it whole.
    WHERE NOT EXISTS (
        SELECT 1 FROM slack_notifications n
        WHERE n.notification_type = 'home_tab' AND n.recipient = audience.slack_user_id AND n.status = 'pending'
          AND n.claimed_by IS NULL
        OFFSET 0);
    GET DIAGNOSTICS v_queued = ROW_COUNT;
    RETURN v_queued;
END
$$;

-- The same for one request, read by its id.
CREATE OR REPLACE FUNCTION querygate_refresh_home_tabs(p_request_id BIGINT) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
    v_requester BIGINT;
    v_pod BIGINT;
BEGIN
    SELECT r.requester_id, r.pod_id INTO v_requester, v_pod FROM query_requests r WHERE r.id = p_request_id;
    IF NOT FOUND THEN RETURN 0; END IF;
    RETURN querygate_refresh_home_tabs_for(ARRAY[v_requester], ARRAY[v_pod]);
END
$$;

-- The arrays are 018's. QueryGate's driver cannot put a NULL in an array, so "none" may also be spelled: '' for no
-- Slack account, 0 for no requester id and no pod id, -1 for no level (the text is not valid for that engine); a
-- NULL element means the same (`querygate_record_submission` passes its NULLs through). The label is taken as
-- given for a requester given by id, and unused for one given by Slack account.
--
-- The plan is the server's to choose: forced generic, one made on a connection's first batch while the tables were
-- small kept the foreign-key check of each approval message's request as a scan of query_requests, which grows
-- (a helper's review with auto_explain). Left to choose, it costs as much (pgbench, 8 clients, PostgreSQL's CPU
-- per submission): alone 0.48 ms (018's loop 0.44), two together 0.29 (0.32), four 0.18 (0.27), eight 0.12 (0.24).
CREATE OR REPLACE FUNCTION querygate_record_submissions(
    p_slack_user_ids TEXT[], p_requester_ids BIGINT[], p_pod_ids BIGINT[], p_actor_labels TEXT[],
    p_sources TEXT[], p_submitted_vias TEXT[], p_actions TEXT[],
    p_instances TEXT[], p_databases TEXT[], p_submission_types TEXT[], p_query_texts TEXT[], p_reasons TEXT[],
    p_postgresql_levels INTEGER[], p_mongodb_levels INTEGER[], p_milliseconds_left INTEGER
) RETURNS TABLE (item INTEGER, outcome TEXT, database_type TEXT, request_id BIGINT, pod_name TEXT, channel TEXT,
                 approvals_required INTEGER, approver_names TEXT[], approver_emails TEXT[], approver_slack_ids TEXT[])
LANGUAGE plpgsql AS $$
DECLARE
    v_deadline TIMESTAMPTZ := clock_timestamp() + make_interval(secs => coalesce(p_milliseconds_left, 0) / 1000.0);
    v_requesters BIGINT[] := '{}';
    v_pods BIGINT[] := '{}';
    v_answer RECORD;
BEGIN
    IF p_milliseconds_left IS NOT NULL THEN
        PERFORM set_config('lock_timeout', greatest(p_milliseconds_left, 1)::text, true);
    END IF;
    IF (SELECT count(DISTINCT coalesce(n, 0)) FROM unnest(ARRAY[
            array_length(p_slack_user_ids, 1), array_length(p_requester_ids, 1), array_length(p_pod_ids, 1),
            array_length(p_actor_labels, 1), array_length(p_sources, 1), array_length(p_submitted_vias, 1),
            array_length(p_actions, 1), array_length(p_instances, 1), array_length(p_databases, 1),
            array_length(p_submission_types, 1), array_length(p_query_texts, 1), array_length(p_reasons, 1),
            array_length(p_postgresql_levels, 1), array_length(p_mongodb_levels, 1)]) AS n) > 1 THEN
        RAISE EXCEPTION 'the submissions'' arrays differ in length' USING ERRCODE = '22023';
    END IF;

    FOR v_answer IN
        WITH submission AS (
            SELECT s.* FROM unnest(p_slack_user_ids, p_requester_ids, p_pod_ids, p_actor_labels, p_sources,
                                   p_submitted_vias, p_actions, p_instances, p_databases, p_submission_types,
                                   p_query_texts, p_reasons, p_postgresql_levels, p_mongodb_levels)
                 WITH ORDINALITY AS s(slack_user_id, requester_id, pod_id, actor_label, source, submitted_via, action,
                                      instance, database, submission_type, query_text, reason, postgresql_level,
                                      mongodb_level, item)
        ), requester AS (
            -- By Slack account, with the checks `SubmissionRules.pod(of:)` makes, in its order; or as given.
            SELECT s.*,
                   CASE WHEN coalesce(s.slack_user_id, '') = '' THEN NULL WHEN u.id IS NULL THEN 'stranger'
                        WHEN NOT u.is_active THEN 'deactivated' WHEN u.pod_id IS NULL THEN 'in_no_pod' END AS refusal,
                   CASE WHEN coalesce(s.slack_user_id, '') = '' THEN nullif(s.requester_id, 0) ELSE u.id END AS person_id,
                   CASE WHEN coalesce(s.slack_user_id, '') = '' THEN nullif(s.pod_id, 0) ELSE u.pod_id END AS person_pod_id,
                   CASE WHEN coalesce(s.slack_user_id, '') = '' THEN s.actor_label ELSE u.email END AS person_label
            FROM submission s LEFT JOIN users u ON s.slack_user_id <> '' AND u.slack_user_id = s.slack_user_id
        ), target AS (
            SELECT r.*, t.database_id, t.type,
                   CASE t.type WHEN 'mongodb' THEN nullif(r.mongodb_level, -1) ELSE nullif(r.postgresql_level, -1) END AS level,
                   coalesce(r.refusal, CASE WHEN t.database_id IS NULL THEN 'no_such_target' WHEN t.missing THEN 'target_missing'
                                            WHEN NOT t.usable THEN 'target_disabled' END) AS early_refusal
            FROM requester r
            LEFT JOIN LATERAL (
                SELECT d.id AS database_id, i.type, d.is_active AND i.is_active AS usable, d.missing_since IS NOT NULL AS missing
                FROM databases d JOIN database_instances i ON i.id = d.instance_id
                WHERE i.name = r.instance AND d.name = r.database) t ON r.refusal IS NULL
        ), judged AS (
            -- The request copies the approvals its risk class needs in its pod now (migration 011).
            SELECT t.*, p.name AS pod_name, p.slack_channel_id AS channel,
                   CASE t.level WHEN 0 THEN p.approvals_read_only WHEN 1 THEN p.approvals_write WHEN 2 THEN p.approvals_ddl
                        ELSE p.approvals_dangerous END AS approvals,
                   coalesce(t.early_refusal, CASE WHEN t.level IS NULL THEN 'invalid_for_engine'
                                                  WHEN p.id IS NULL THEN 'no_pod' ELSE 'submitted' END) AS verdict
            FROM target t
            LEFT JOIN pods p ON p.id = t.person_pod_id AND t.early_refusal IS NULL AND t.level IS NOT NULL
        ), numbered AS (
            -- Ids in the submissions' order: the subquery sorts before the sequence is drawn from.
            SELECT j.*, CASE WHEN j.verdict = 'submitted' THEN nextval('query_requests_id_seq'::regclass) END AS new_id
            FROM (SELECT * FROM judged ORDER BY judged.item) j
        ), requests AS (
            INSERT INTO query_requests (id, requester_id, pod_id, database_id, submission_type, query_text, reason,
                                        submitted_via, approvals_required)
            SELECT n.new_id, n.person_id, n.person_pod_id, n.database_id, n.submission_type, n.query_text, n.reason,
                   n.submitted_via, n.approvals
            FROM numbered n WHERE n.new_id IS NOT NULL
        ), audits AS (
            INSERT INTO audit_logs (actor_user_id, actor_label, source, action, entity_type, entity_id, details)
            SELECT n.person_id, n.person_label, n.source, n.action, 'query_request', n.new_id::text,
                   jsonb_build_object('target', n.instance || '/' || n.database, 'type', n.submission_type)
            FROM numbered n WHERE n.new_id IS NOT NULL
        ), approval_messages AS (
            INSERT INTO slack_notifications (request_id, notification_type, recipient, payload)
            SELECT n.new_id, 'approval_request', n.channel, '{}'::jsonb FROM numbered n WHERE n.new_id IS NOT NULL
        )
        SELECT n.item AS answered, n.verdict, n.type AS engine, n.new_id, n.pod_name AS pod, n.channel AS channel_id,
               n.approvals, a.names, a.emails, a.slack_ids, n.person_id AS requester, n.person_pod_id AS requester_pod
        FROM numbered n
        LEFT JOIN LATERAL (
            SELECT coalesce(array_agg(u.name ORDER BY u.name, u.id), '{}') AS names,
                   coalesce(array_agg(u.email ORDER BY u.name, u.id), '{}') AS emails,
                   coalesce(array_agg(coalesce(u.slack_user_id, '') ORDER BY u.name, u.id), '{}') AS slack_ids
            FROM users u WHERE u.pod_id = n.person_pod_id AND u.role = 'manager' AND u.is_active) a ON n.new_id IS NOT NULL
        ORDER BY n.item
    LOOP
        item := v_answer.answered;
        outcome := v_answer.verdict;
        database_type := v_answer.engine;
        request_id := v_answer.new_id;
        pod_name := v_answer.pod;
        channel := v_answer.channel_id;
        approvals_required := v_answer.approvals;
        approver_names := v_answer.names;
        approver_emails := v_answer.emails;
        approver_slack_ids := v_answer.slack_ids;
        RETURN NEXT;
        IF v_answer.new_id IS NOT NULL THEN
            v_requesters := v_requesters || v_answer.requester;
            v_pods := v_pods || v_answer.requester_pod;
        END IF;
    END LOOP;
    IF cardinality(v_requesters) > 0 THEN
        PERFORM querygate_refresh_home_tabs_for(v_requesters, v_pods);
    END IF;

    IF p_milliseconds_left IS NOT NULL AND clock_timestamp() > v_deadline THEN
        RAISE EXCEPTION 'the answer''s deadline passed before the submissions were recorded; none was' USING ERRCODE = '57014';
    END IF;
END
$$;

-- 017's function, over one-element arrays: one submission, judged and recorded by the rules above.
CREATE OR REPLACE FUNCTION querygate_record_submission(
    p_slack_user_id TEXT, p_requester_id BIGINT, p_pod_id BIGINT, p_actor_label TEXT,
    p_source TEXT, p_submitted_via TEXT, p_action TEXT,
    p_instance TEXT, p_database TEXT, p_submission_type TEXT, p_query_text TEXT, p_reason TEXT,
    p_postgresql_level INTEGER, p_mongodb_level INTEGER, p_milliseconds_left INTEGER
) RETURNS TABLE (outcome TEXT, database_type TEXT, request_id BIGINT, pod_name TEXT, channel TEXT, approvals_required INTEGER,
                 approver_names TEXT[], approver_emails TEXT[], approver_slack_ids TEXT[])
LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY
    SELECT r.outcome, r.database_type, r.request_id, r.pod_name, r.channel, r.approvals_required,
           r.approver_names, r.approver_emails, r.approver_slack_ids
    FROM querygate_record_submissions(
        ARRAY[p_slack_user_id], ARRAY[p_requester_id], ARRAY[p_pod_id], ARRAY[p_actor_label], ARRAY[p_source],
        ARRAY[p_submitted_via], ARRAY[p_action], ARRAY[p_instance], ARRAY[p_database], ARRAY[p_submission_type],
        ARRAY[p_query_text], ARRAY[p_reason], ARRAY[p_postgresql_level], ARRAY[p_mongodb_level], p_milliseconds_left) AS r;
END
$$;

COMMIT;
