-- +goose Up
-- Job postings, applications and saved jobs.

-- Ranked search: title first, then company and skills, then the text.
-- Declared immutable (array_to_string is only stable in general, but is
-- immutable for text[]) so that a stored column can use it.
-- +goose StatementBegin
CREATE FUNCTION jobs_search_document(title text, company text, skills text[], description text)
RETURNS tsvector LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('english', title), 'A') ||
           setweight(to_tsvector('english', company), 'B') ||
           setweight(to_tsvector('english', array_to_string(skills, ' ')), 'B') ||
           setweight(to_tsvector('english', left(description, 20000)), 'C')
$$;
-- +goose StatementEnd

CREATE TABLE jobs (
    id              uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    employer_id     uuid        NOT NULL REFERENCES users (id),
    -- Idempotency key of the request that created the job, if it sent one.
    request_id      uuid,
    company         text        NOT NULL,
    title           text        NOT NULL,
    description     text        NOT NULL,
    requirements    text        NOT NULL DEFAULT '',
    benefits        text        NOT NULL DEFAULT '',
    category        text        NOT NULL,
    employment_type text        NOT NULL,
    island          text        NOT NULL,
    location        text        NOT NULL DEFAULT '',
    remote          boolean     NOT NULL DEFAULT false,
    salary_min      double precision NOT NULL DEFAULT 0,
    salary_max      double precision NOT NULL DEFAULT 0,
    salary_currency text        NOT NULL DEFAULT 'BSD',
    salary_period   text        NOT NULL DEFAULT '',
    skills          text[]      NOT NULL DEFAULT '{}',
    status          text        NOT NULL,
    publish_time    timestamptz,
    expire_time     timestamptz,
    create_time     timestamptz NOT NULL DEFAULT now(),
    update_time     timestamptz NOT NULL DEFAULT now(),
    -- Incremented by every update; the etag.
    version         integer     NOT NULL DEFAULT 1,
    search          tsvector    GENERATED ALWAYS AS (jobs_search_document(title, company, skills, description)) STORED,
    CONSTRAINT jobs_status_known CHECK (status IN ('DRAFT', 'OPEN', 'CLOSED', 'FILLED')),
    CONSTRAINT jobs_salary_range CHECK (salary_min >= 0 AND (salary_max = 0 OR salary_max >= salary_min)),
    CONSTRAINT jobs_expire_after_publish CHECK (expire_time IS NULL OR publish_time IS NULL OR expire_time > publish_time),
    CONSTRAINT jobs_open_is_published CHECK (status <> 'OPEN' OR (publish_time IS NOT NULL AND expire_time IS NOT NULL))
);

CREATE UNIQUE INDEX jobs_request_key ON jobs (employer_id, request_id) WHERE request_id IS NOT NULL;
-- The board lists open jobs only: partial indexes keep them small.
-- expire_time is carried along so that counting needs no visit to the table.
CREATE INDEX jobs_open_newest_idx ON jobs (publish_time DESC, id DESC) INCLUDE (expire_time) WHERE status = 'OPEN';
CREATE INDEX jobs_open_island_idx ON jobs (island, publish_time DESC, id DESC) INCLUDE (expire_time) WHERE status = 'OPEN';
CREATE INDEX jobs_open_salary_idx ON jobs ((greatest(salary_min, salary_max)) DESC, id DESC) WHERE status = 'OPEN';
CREATE INDEX jobs_open_search_idx ON jobs USING gin (search) WHERE status = 'OPEN';
CREATE INDEX jobs_employer_idx ON jobs (employer_id, create_time DESC);

CREATE TABLE applications (
    id           uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    job_id       uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    applicant_id uuid        NOT NULL REFERENCES users (id),
    cover_letter text        NOT NULL DEFAULT '',
    resume_url   text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'SUBMITTED',
    create_time  timestamptz NOT NULL DEFAULT now(),
    update_time  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT applications_status_known CHECK (status IN ('SUBMITTED', 'REVIEWING', 'INTERVIEW', 'OFFERED', 'HIRED', 'REJECTED', 'WITHDRAWN'))
);

CREATE UNIQUE INDEX applications_one_per_job ON applications (job_id, applicant_id);
CREATE INDEX applications_job_idx ON applications (job_id, create_time DESC, id DESC);
CREATE INDEX applications_applicant_idx ON applications (applicant_id, create_time DESC, id DESC);

CREATE TABLE saved_jobs (
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id      uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, job_id)
);

CREATE INDEX saved_jobs_user_idx ON saved_jobs (user_id, create_time DESC, job_id DESC);

-- +goose Down
DROP TABLE saved_jobs;
DROP TABLE applications;
DROP TABLE jobs;
DROP FUNCTION jobs_search_document;
