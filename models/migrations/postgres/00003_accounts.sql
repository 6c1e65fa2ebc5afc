-- +goose Up
-- Bumping a user's session generation ends all of their sessions.
ALTER TABLE users ADD COLUMN session_generation integer NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN password_changed_at timestamptz;

-- Login attempts, counted in the database so that throttling holds across replicas.
CREATE TABLE login_attempts (
    id        bigserial PRIMARY KEY,
    at        timestamptz NOT NULL DEFAULT now(),
    username  text NOT NULL,
    ip        text NOT NULL,
    succeeded boolean NOT NULL
);
CREATE INDEX login_attempts_username_at ON login_attempts (username, at);
CREATE INDEX login_attempts_ip_at ON login_attempts (ip, at);

-- API tokens for machine clients: only a SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id           bigserial PRIMARY KEY,
    user_id      bigint NOT NULL REFERENCES users(id) ON DELETE RESTRICT,
    name         text NOT NULL DEFAULT '',
    token_hash   text NOT NULL UNIQUE,
    prefix       text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at   timestamptz
);

-- The answer to each Idempotency-Key a token has used, to replay on a retry.
CREATE TABLE idempotency_keys (
    token_id     bigint NOT NULL REFERENCES api_tokens(id) ON DELETE CASCADE,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash text NOT NULL,
    status       integer NOT NULL,
    body         text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (token_id, key)
);

-- Audit records carry the values before and after a change.
ALTER TABLE audit_log ADD COLUMN before_values text NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN after_values text NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE audit_log DROP COLUMN after_values;
ALTER TABLE audit_log DROP COLUMN before_values;
DROP TABLE idempotency_keys;
DROP TABLE api_tokens;
DROP TABLE login_attempts;
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN session_generation;
