-- 004: the seed's RefreshTokens.SQL. Server-side sessions: true logout, "log out everywhere", one row per
-- device. Only a SHA-256 hash of each opaque refresh token is stored.
BEGIN;

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

COMMIT;
