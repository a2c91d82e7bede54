-- +goose Up
-- Whether the account's owner has shown they receive mail at its email.
-- Accounts that existed before stay unverified until they follow a link.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

-- An email verification: a single-use token, kept only as its SHA-256,
-- valid until expire_time. As with password resets, the token is made by
-- the job that mails it, so it is never stored.
CREATE TABLE email_verifications (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash  bytea       NOT NULL UNIQUE,
    create_time timestamptz NOT NULL DEFAULT now(),
    expire_time timestamptz NOT NULL,
    use_time    timestamptz,
    -- The queue job that mails the link: a retried job replaces its own
    -- token rather than add one.
    job_id      bigint      NOT NULL UNIQUE,
    CONSTRAINT email_verifications_hash_len CHECK (octet_length(token_hash) = 32)
);
CREATE INDEX email_verifications_user ON email_verifications (user_id, create_time);

-- +goose Down
DROP TABLE email_verifications;
ALTER TABLE users DROP COLUMN email_verified;
