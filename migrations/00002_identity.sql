-- +goose Up
-- Profiles, sessions and login throttling.

ALTER TABLE users
    ADD COLUMN phone              text    NOT NULL DEFAULT '',
    ADD COLUMN location           text    NOT NULL DEFAULT '',
    ADD COLUMN headline           text    NOT NULL DEFAULT '',
    ADD COLUMN company_name       text    NOT NULL DEFAULT '',
    ADD COLUMN bio                text    NOT NULL DEFAULT '',
    ADD COLUMN skills             text[]  NOT NULL DEFAULT '{}',
    ADD COLUMN avatar_url         text    NOT NULL DEFAULT '',
    ADD COLUMN available_for_hire boolean NOT NULL DEFAULT false;

-- Talent search over names, headline and skills, without stemming so names
-- and skills match as written. Queries must use this same expression to use
-- the index.
-- +goose StatementBegin
CREATE FUNCTION users_search_document(first_name text, last_name text, headline text, skills text[])
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple', first_name || ' ' || last_name), 'A') ||
           setweight(to_tsvector('simple', headline || ' ' || array_to_string(skills, ' ')), 'B')
$$;
-- +goose StatementEnd

CREATE INDEX users_search_idx ON users USING gin (users_search_document(first_name, last_name, headline, skills));
-- Keyset pages of active users, newest first.
CREATE INDEX users_active_created_idx ON users (create_time DESC, id DESC) WHERE is_active;

-- Refresh tokens, stored only as SHA-256 hashes. Every token descends from
-- one login: its family. Spending a token marks it spent and adds its
-- successor to the family; presenting a spent token revokes the family.
CREATE TABLE refresh_tokens (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    family_id    uuid        NOT NULL,
    user_id      uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   bytea       NOT NULL,
    -- When the family's login happened: the absolute lifetime counts from it.
    family_time  timestamptz NOT NULL,
    create_time  timestamptz NOT NULL DEFAULT now(),
    spent_time   timestamptz,
    revoke_time  timestamptz,
    CONSTRAINT refresh_tokens_hash_len CHECK (octet_length(token_hash) = 32)
);

CREATE UNIQUE INDEX refresh_tokens_hash_key ON refresh_tokens (token_hash);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id) WHERE revoke_time IS NULL;

-- Failed sign-ins, kept for the throttling window. Shared by every
-- instance, so a lockout holds whichever instance a request reaches.
CREATE TABLE login_failures (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text        NOT NULL,
    client_ip   text        NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_failures_email_idx ON login_failures (email, create_time);
CREATE INDEX login_failures_ip_idx ON login_failures (client_ip, create_time);

-- +goose Down
DROP TABLE login_failures;
DROP TABLE refresh_tokens;
DROP INDEX users_active_created_idx;
DROP INDEX users_search_idx;
DROP FUNCTION users_search_document;
ALTER TABLE users
    DROP COLUMN available_for_hire,
    DROP COLUMN avatar_url,
    DROP COLUMN skills,
    DROP COLUMN bio,
    DROP COLUMN company_name,
    DROP COLUMN headline,
    DROP COLUMN location,
    DROP COLUMN phone;
