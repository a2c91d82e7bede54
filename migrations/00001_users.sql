-- +goose Up
-- Accounts for job seekers, employers and operators. Emails are stored
-- normalised (trimmed, lower-case) so the unique index is the only duplicate
-- check needed.
CREATE TABLE users (
    id            uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    role          text        NOT NULL,
    first_name    text        NOT NULL,
    last_name     text        NOT NULL,
    is_active     boolean     NOT NULL DEFAULT true,
    create_time   timestamptz NOT NULL DEFAULT now(),
    update_time   timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_normalised CHECK (email = lower(btrim(email)) AND email <> ''),
    CONSTRAINT users_role_known CHECK (role IN ('JOB_SEEKER', 'EMPLOYER', 'ADMIN'))
);

CREATE UNIQUE INDEX users_email_key ON users (email);

-- +goose Down
DROP TABLE users;
