-- 011: risky requests may need several approvers. A pod says how many distinct approvals each risk class needs
-- (`querygate pods set --approvals-dangerous 2`); a request copies its number when it is made, so it is judged by
-- the rule it was asked under. Each approval is a row: the primary key is what makes one person count once, and
-- the request's row lock, taken by every decision, is what makes the last approval move it exactly once.
BEGIN;

ALTER TABLE pods
    ADD COLUMN IF NOT EXISTS approvals_read_only SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_read_only BETWEEN 1 AND 5),
    ADD COLUMN IF NOT EXISTS approvals_write     SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_write BETWEEN 1 AND 5),
    ADD COLUMN IF NOT EXISTS approvals_ddl       SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_ddl BETWEEN 1 AND 5),
    ADD COLUMN IF NOT EXISTS approvals_dangerous SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_dangerous BETWEEN 1 AND 5);

ALTER TABLE query_requests
    ADD COLUMN IF NOT EXISTS approvals_required SMALLINT NOT NULL DEFAULT 1 CHECK (approvals_required BETWEEN 1 AND 5);

CREATE TABLE IF NOT EXISTS request_approvals (
    request_id  BIGINT NOT NULL REFERENCES query_requests (id) ON DELETE CASCADE,
    approver_id BIGINT NOT NULL REFERENCES users (id),
    approved_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, approver_id)
);

-- `/metrics` counts the decisions from the audit log at each scrape; this keeps that a scan of the decisions only.
CREATE INDEX IF NOT EXISTS audit_logs_decisions_idx ON audit_logs (action, source)
    WHERE action IN ('request.approved', 'request.approval_recorded', 'request.rejected', 'request.cancelled',
                     'request.approval_refused', 'request.rejection_refused', 'request.cancellation_refused',
                     'request.decision_lost');

-- Requests approved before this migration had their one approval recorded on the request itself.
INSERT INTO request_approvals (request_id, approver_id, approved_at)
SELECT id, approved_by, coalesce(approved_at, updated_at) FROM query_requests WHERE approved_by IS NOT NULL
ON CONFLICT DO NOTHING;

COMMIT;
