-- The consolidated portal schema for fresh installs: 001 to 019 in one file, as the seed describes.
--
--     psql -v ON_ERROR_STOP=1 -d portal_db -f Migrations/portal_db_schema.sql
--
-- `querygate migrate` does the same from the numbered files and records them; running it after this file
-- changes nothing but the record, because every migration is idempotent. A test proves that this file and
-- the numbered history produce the same catalog: change both together.
BEGIN;

-- A pod is a team. Its requests are approved in its Slack channel by its managers (users with the
-- `manager` role whose pod_id is this pod) and by admins.
CREATE TABLE IF NOT EXISTS pods (
    id               BIGSERIAL PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
    description      TEXT,
    slack_channel_id TEXT NOT NULL CHECK (slack_channel_id ~ '^[CG][A-Z0-9]{2,30}$'),
    is_active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- From 010: how long the pod's requests stay open; NULL follows QUERYGATE_REQUEST_TTL.
    request_ttl_seconds INTEGER CHECK (request_ttl_seconds > 0),
    -- From 011: how many distinct approvals a request of each risk class needs.
    approvals_read_only SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_read_only BETWEEN 1 AND 5),
    approvals_write     SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_write BETWEEN 1 AND 5),
    approvals_ddl       SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_ddl BETWEEN 1 AND 5),
    approvals_dangerous SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_dangerous BETWEEN 1 AND 5)
);

CREATE TABLE IF NOT EXISTS users (
    id            BIGSERIAL PRIMARY KEY,
    -- Stored lower-cased so that uniqueness and log-in ignore case.
    email         TEXT NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '%_@_%'),
    name          TEXT NOT NULL CHECK (length(btrim(name)) > 0),
    -- bcrypt hash; NULL until a password is set. Slack users need none.
    password_hash TEXT,
    role          TEXT NOT NULL DEFAULT 'developer' CHECK (role IN ('developer', 'manager', 'admin')),
    -- Admins may stand outside any pod; everybody else belongs to exactly one.
    pod_id        BIGINT REFERENCES pods (id),
    slack_user_id TEXT UNIQUE CHECK (slack_user_id ~ '^[UW][A-Z0-9]{2,30}$'),
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- From 012: when the person first opened QueryGate's Home tab in Slack (it is kept up to date from then on).
    home_opened_at TIMESTAMPTZ,
    CONSTRAINT users_pod_required CHECK (role = 'admin' OR pod_id IS NOT NULL)
);
CREATE INDEX IF NOT EXISTS users_pod_id_idx ON users (pod_id);

-- A server that queries run on. Credentials never live here (see 003: they come from the environment).
CREATE TABLE IF NOT EXISTS database_instances (
    id          BIGSERIAL PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE CHECK (name ~ '^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$'),
    type        TEXT NOT NULL CHECK (type IN ('postgresql', 'mongodb')),
    description TEXT,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Credentials by reference, never by value: a PostgreSQL instance names a prefix (PG_INSTANCE_1 means
    -- PG_INSTANCE_1_HOST, _PORT, _USER, _PASSWORD); a MongoDB instance names its connection-string variable.
    credentials_env_prefix TEXT CHECK (credentials_env_prefix ~ '^[A-Z_][A-Z0-9_]{0,62}$'),
    connection_string_env  TEXT CHECK (connection_string_env ~ '^[A-Z_][A-Z0-9_]{0,62}$'),
    last_sync_at           TIMESTAMPTZ,
    last_sync_status       TEXT
);

-- A database within an instance: what a request targets, written `<instance>/<database>`.
CREATE TABLE IF NOT EXISTS databases (
    id          BIGSERIAL PRIMARY KEY,
    instance_id BIGINT NOT NULL REFERENCES database_instances (id) ON DELETE CASCADE,
    name        TEXT NOT NULL CHECK (name ~ '^[^/[:space:]]{1,63}$'),
    description TEXT,
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT databases_instance_name_key UNIQUE (instance_id, name),
    -- `manual` rows were added by an administrator and survive a sync; `synced` rows come from the instance.
    source       TEXT NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'synced')),
    last_seen_at TIMESTAMPTZ,
    -- From 008: set while a sync finds the database gone from its server (it is then inactive); NULL with
    -- is_active false means an administrator disabled it, which no sync undoes.
    missing_since TIMESTAMPTZ,
    CONSTRAINT databases_missing_is_inactive CHECK (missing_since IS NULL OR NOT is_active)
);

CREATE TABLE IF NOT EXISTS query_requests (
    id                    BIGSERIAL PRIMARY KEY,
    requester_id          BIGINT NOT NULL REFERENCES users (id),
    -- The requester's pod when the request was made: approval follows it even if the requester moves.
    pod_id                BIGINT NOT NULL REFERENCES pods (id),
    database_id           BIGINT NOT NULL REFERENCES databases (id),
    submission_type       TEXT NOT NULL DEFAULT 'query' CHECK (submission_type IN ('query', 'script')),
    query_text            TEXT NOT NULL CHECK (length(btrim(query_text)) > 0),
    reason                TEXT NOT NULL CHECK (length(btrim(reason)) > 0),
    submitted_via         TEXT NOT NULL CHECK (submitted_via IN ('slack', 'portal', 'cli')),
    status                TEXT NOT NULL DEFAULT 'pending' CHECK (status IN (
                              'pending', 'approved', 'rejected', 'cancelled', 'expired',
                              'executing', 'completed', 'failed')),
    expires_at            TIMESTAMPTZ,
    approved_by           BIGINT REFERENCES users (id),
    approved_at           TIMESTAMPTZ,
    rejected_by           BIGINT REFERENCES users (id),
    rejected_at           TIMESTAMPTZ,
    rejection_reason      TEXT,
    cancelled_at          TIMESTAMPTZ,
    -- Execution: the worker that claimed the request and until when its claim holds.
    executor_id           TEXT,
    lease_expires_at      TIMESTAMPTZ,
    execution_started_at  TIMESTAMPTZ,
    execution_finished_at TIMESTAMPTZ,
    result_summary        JSONB,
    error_message         TEXT,
    error_sqlstate        TEXT,
    -- 1-based offset into query_text where the database says the error is (from 005).
    error_position        INTEGER CHECK (error_position > 0),
    -- Where the approval message sits in Slack, so it can be updated in place and replied to.
    slack_channel_id      TEXT,
    slack_message_ts      TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Nobody approves their own request, whatever path the approval took.
    -- From 010: when the approvers were reminded, and when the requester last nudged them.
    reminded_at           TIMESTAMPTZ,
    nudged_at             TIMESTAMPTZ,
    -- From 011: the approvals it needs, copied from its pod's setting for its risk class when it was made.
    approvals_required    SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_required BETWEEN 1 AND 5),
    CONSTRAINT query_requests_no_self_approval CHECK (approved_by IS NULL OR approved_by <> requester_id),
    CONSTRAINT query_requests_rejection_has_reason CHECK (
        status <> 'rejected' OR (rejected_by IS NOT NULL AND length(btrim(rejection_reason)) > 0))
);
CREATE INDEX IF NOT EXISTS query_requests_requester_idx ON query_requests (requester_id, created_at DESC);
CREATE INDEX IF NOT EXISTS query_requests_pod_status_idx ON query_requests (pod_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS query_requests_database_idx ON query_requests (database_id);
-- The executor's claim query and the lease sweeper look only at these few rows.
CREATE INDEX IF NOT EXISTS query_requests_runnable_idx ON query_requests (status, lease_expires_at)
    WHERE status IN ('approved', 'executing');
-- From 010: the expiry sweep.
CREATE INDEX IF NOT EXISTS query_requests_open_idx ON query_requests (created_at)
    WHERE status IN ('pending', 'approved');

-- From 011: one row per approval; the key makes one person count once.
CREATE TABLE IF NOT EXISTS request_approvals (
    request_id  BIGINT NOT NULL REFERENCES query_requests (id) ON DELETE CASCADE,
    approver_id BIGINT NOT NULL REFERENCES users (id),
    approved_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, approver_id)
);

-- The Slack outbox: every message is a row written with the state change that causes it, then delivered
-- by a worker that records the message ts. Thread replies wait for their parent's ts.
CREATE TABLE IF NOT EXISTS slack_notifications (
    id                BIGSERIAL PRIMARY KEY,
    request_id        BIGINT REFERENCES query_requests (id) ON DELETE CASCADE,
    notification_type TEXT NOT NULL,
    -- A channel id for channel messages, a user id for direct messages.
    recipient         TEXT NOT NULL,
    parent_id         BIGINT REFERENCES slack_notifications (id),
    payload           JSONB NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts          INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error        TEXT,
    channel_id        TEXT,
    message_ts        TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at           TIMESTAMPTZ,
    -- From 007: the worker delivering it now, and until when its claim holds (renewed during the Slack call).
    claimed_by        TEXT,
    lease_expires_at  TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS slack_notifications_due_idx ON slack_notifications (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS slack_notifications_request_idx ON slack_notifications (request_id);
-- From 016: the claim's "no older update of the same message waits" and the Home-tab refresh's "one already
-- waits", as index lookups however many notifications wait.
CREATE INDEX IF NOT EXISTS slack_notifications_pending_children_idx ON slack_notifications (parent_id, id)
    WHERE status = 'pending' AND parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS slack_notifications_pending_home_tabs_idx ON slack_notifications (recipient)
    WHERE status = 'pending' AND notification_type = 'home_tab';

-- Every action, by whom, through which door. Append-only.
CREATE TABLE IF NOT EXISTS audit_logs (
    id            BIGSERIAL PRIMARY KEY,
    actor_user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    -- Who acted when there is no user row: `cli:<os user>`, `slack:<user id>`, `system`.
    actor_label   TEXT NOT NULL,
    source        TEXT NOT NULL CHECK (source IN ('cli', 'slack', 'api', 'system')),
    action        TEXT NOT NULL,
    entity_type   TEXT NOT NULL,
    entity_id     TEXT,
    details       JSONB NOT NULL DEFAULT '{}'::jsonb,
    client_ip     TEXT,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS audit_logs_created_at_idx ON audit_logs (created_at DESC);
CREATE INDEX IF NOT EXISTS audit_logs_entity_idx ON audit_logs (entity_type, entity_id);
CREATE INDEX IF NOT EXISTS audit_logs_actor_idx ON audit_logs (actor_user_id);
-- From 011: the decisions, which `/metrics` counts.
CREATE INDEX IF NOT EXISTS audit_logs_decisions_idx ON audit_logs (action, source)
    WHERE action IN ('request.approved', 'request.approval_recorded', 'request.rejected', 'request.cancelled',
                     'request.approval_refused', 'request.rejection_refused', 'request.cancellation_refused',
                     'request.decision_lost');

-- From 002: hybrid sync tables.
-- A pattern of database names to skip when syncing (its `kind`: exact, prefix or regex). instance_id NULL means every instance.
CREATE TABLE IF NOT EXISTS database_blacklist (
    id          BIGSERIAL PRIMARY KEY,
    instance_id BIGINT REFERENCES database_instances (id) ON DELETE CASCADE,
    pattern     TEXT NOT NULL CHECK (length(pattern) > 0),
    reason      TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- From 008: how `pattern` matches a name (regex: POSIX, as PostgreSQL's `~`).
    kind        TEXT NOT NULL DEFAULT 'exact' CHECK (kind IN ('exact', 'prefix', 'regex'))
);
-- One row per (scope, pattern); COALESCE because NULL (every instance) must collide with itself.
CREATE UNIQUE INDEX IF NOT EXISTS database_blacklist_scope_pattern_key
    ON database_blacklist (COALESCE(instance_id, 0), pattern);

-- System databases are never offered to users.
INSERT INTO database_blacklist (instance_id, pattern, reason) VALUES
    (NULL, 'template0', 'PostgreSQL system template'),
    (NULL, 'template1', 'PostgreSQL system template'),
    (NULL, 'postgres', 'PostgreSQL maintenance database'),
    (NULL, 'admin', 'MongoDB system database'),
    (NULL, 'local', 'MongoDB system database'),
    (NULL, 'config', 'MongoDB system database'),
    (NULL, 'rdsadmin', 'Amazon RDS administration database')
ON CONFLICT DO NOTHING;

CREATE TABLE IF NOT EXISTS database_sync_history (
    id                BIGSERIAL PRIMARY KEY,
    instance_id       BIGINT NOT NULL REFERENCES database_instances (id) ON DELETE CASCADE,
    -- 'queued' from 009.
    status            TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    databases_found   INTEGER NOT NULL DEFAULT 0,
    databases_added   INTEGER NOT NULL DEFAULT 0,
    databases_removed INTEGER NOT NULL DEFAULT 0,
    error_message     TEXT,
    triggered_by      BIGINT REFERENCES users (id) ON DELETE SET NULL,
    started_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    finished_at       TIMESTAMPTZ,
    -- From 008. databases_removed stays 0: a sync never deletes, it marks missing.
    databases_reactivated    INTEGER NOT NULL DEFAULT 0,
    databases_marked_missing INTEGER NOT NULL DEFAULT 0,
    databases_skipped        INTEGER NOT NULL DEFAULT 0,
    triggered_via            TEXT NOT NULL DEFAULT 'cli'
        CHECK (triggered_via IN ('startup', 'schedule', 'cli', 'api', 'slack')),
    triggered_by_label       TEXT,
    -- From 009: the row is the sync's claim on its instance.
    requested_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_by          TEXT,
    lease_expires_at    TIMESTAMPTZ,
    reply_slack_user    TEXT,
    reply_slack_channel TEXT
);
CREATE INDEX IF NOT EXISTS database_sync_history_instance_idx
    ON database_sync_history (instance_id, started_at DESC);
CREATE UNIQUE INDEX IF NOT EXISTS database_sync_history_one_unfinished
    ON database_sync_history (instance_id) WHERE status IN ('queued', 'running');
CREATE INDEX IF NOT EXISTS database_sync_history_queued_idx
    ON database_sync_history (id) WHERE status = 'queued';

-- From 004: refresh tokens.
CREATE TABLE IF NOT EXISTS refresh_tokens (
    id             BIGSERIAL PRIMARY KEY,
    user_id        BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     TEXT NOT NULL UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
    -- Every token rotated from one log-in shares a family: reuse of a revoked token revokes the family.
    family_id      UUID NOT NULL,
    device_info    TEXT,
    ip_address     TEXT,
    expires_at     TIMESTAMPTZ NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_used_at   TIMESTAMPTZ,
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT,
    replaced_by    BIGINT REFERENCES refresh_tokens (id)
);
CREATE INDEX IF NOT EXISTS refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS refresh_tokens_family_idx ON refresh_tokens (family_id);

-- From 005: result exports awaiting upload; one file per format (from 006).
CREATE TABLE IF NOT EXISTS query_result_exports (
    request_id BIGINT NOT NULL REFERENCES query_requests (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL CHECK (seq >= 0),
    data       BYTEA NOT NULL,
    format     TEXT NOT NULL DEFAULT 'csv' CHECK (format IN ('csv', 'jsonl')),
    CONSTRAINT query_result_exports_pkey PRIMARY KEY (request_id, format, seq)
);

-- From 013: a submission in one round trip (see that migration for why each part is there), without NOTIFY since
-- 015 (see that one for why), set-wise since 019 (see that one for why).
-- The people whose Home tab shows a request by `p_requester_ids[i]` in pod `p_pod_ids[i]` and who have opened
-- theirs: its requester, its pod's managers, the admins. One queued, unclaimed row per person is enough (the tab
-- renders from the state when delivered). Returns how many refreshes it queued. It reads no table that grows with
-- the requests (019 says why).
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

-- From 017: a submission by person or by Slack account (see that migration for why); since 019, the set-wise
-- function below over one-element arrays.
-- outcome: 'submitted', or why not: 'stranger' (no person has that Slack account), 'deactivated', 'in_no_pod',
-- then 'no_such_target', 'target_missing', 'target_disabled', 'invalid_for_engine' (the text is not valid for the
-- target's engine: its level for that engine was passed as NULL), 'no_pod'.
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

CREATE OR REPLACE FUNCTION querygate_submit(
    p_requester_id BIGINT, p_pod_id BIGINT, p_actor_label TEXT, p_source TEXT, p_submitted_via TEXT, p_action TEXT,
    p_instance TEXT, p_database TEXT, p_submission_type TEXT, p_query_text TEXT, p_reason TEXT,
    p_postgresql_level INTEGER, p_mongodb_level INTEGER, p_milliseconds_left INTEGER
) RETURNS TABLE (outcome TEXT, database_type TEXT, request_id BIGINT, pod_name TEXT, channel TEXT, approvals_required INTEGER,
                 approvers JSONB)
LANGUAGE sql AS $$
    SELECT r.outcome, r.database_type, r.request_id, r.pod_name, r.channel, r.approvals_required,
           CASE WHEN r.outcome = 'submitted' THEN
               (SELECT coalesce(jsonb_agg(jsonb_build_object('name', a.name, 'email', a.email, 'slack_user_id', nullif(a.slack_user_id, ''))
                                          ORDER BY a.position), '[]')
                FROM unnest(r.approver_names, r.approver_emails, r.approver_slack_ids) WITH ORDINALITY AS a(name, email, slack_user_id, position))
           END
    FROM querygate_record_submission(
        NULL, p_requester_id, p_pod_id, p_actor_label, p_source, p_submitted_via, p_action, p_instance, p_database,
        p_submission_type, p_query_text, p_reason, p_postgresql_level, p_mongodb_level, p_milliseconds_left) AS r
$$;

-- From 018: submissions that queued, recorded together (see that migration for why, for the sentinels that stand
-- for NULL in the arrays, and for the batch's one deadline); set-wise, in one statement, since 019, where the
-- submission rules now live (see that migration for why).
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

-- From 014: a decision in one round trip.
-- A `chat.update` of the request's approval message (it waits for that message's ts), and the Home tabs.
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
