-- +goose Up
-- A password reset: a single-use token, kept only as its SHA-256, valid
-- until expire_time. The token itself is made by the job that mails it, so
-- it is never stored.
CREATE TABLE password_resets (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE,
    create_time timestamptz NOT NULL DEFAULT now(),
    expire_time timestamptz NOT NULL,
    use_time    timestamptz,
    -- The queue job that mails the link: a retried job replaces its own
    -- token rather than add one.
    job_id      bigint      NOT NULL UNIQUE,
    CONSTRAINT password_resets_hash_len CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX password_resets_user ON password_resets (user_id, create_time);

-- +goose Down
DROP TABLE password_resets;
