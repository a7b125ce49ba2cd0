-- 001: the portal's original schema: teams (pods), people, target databases, requests, Slack delivery, audit.
--
-- Idempotent and transactional, so it can be applied by `querygate migrate` or by hand with
-- `psql -v ON_ERROR_STOP=1 -f 001_base_schema.sql`. Never edit an applied migration: add a new one.
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
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
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
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT now()
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
    CONSTRAINT databases_instance_name_key UNIQUE (instance_id, name)
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
    -- Where the approval message sits in Slack, so it can be updated in place and replied to.
    slack_channel_id      TEXT,
    slack_message_ts      TEXT,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Nobody approves their own request, whatever path the approval took.
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
    sent_at           TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS slack_notifications_due_idx ON slack_notifications (next_attempt_at)
    WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS slack_notifications_request_idx ON slack_notifications (request_id);

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

COMMIT;
