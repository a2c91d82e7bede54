-- +goose Up
-- A saved search keeps the filters of a ListJobs request, and how often its
-- new jobs are mailed.
CREATE TABLE saved_searches (
    id               uuid             PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id          uuid             NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    query            text             NOT NULL DEFAULT '',
    islands          text[]           NOT NULL DEFAULT '{}',
    categories       text[]           NOT NULL DEFAULT '{}',
    employment_types text[]           NOT NULL DEFAULT '{}',
    remote           boolean,
    salary_min       double precision NOT NULL DEFAULT 0,
    frequency        text             NOT NULL CHECK (frequency IN ('INSTANT', 'DAILY', 'WEEKLY')),
    alerts_paused    boolean          NOT NULL DEFAULT false,
    create_time      timestamptz      NOT NULL DEFAULT now(),
    update_time      timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX saved_searches_user ON saved_searches (user_id, create_time DESC, id DESC);
CREATE INDEX saved_searches_due ON saved_searches (frequency, id) WHERE NOT alerts_paused;

-- The jobs each user was alerted to: a job is mailed to a person once,
-- whichever of their searches found it.
CREATE TABLE job_alerts_sent (
    user_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    job_id    uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    search_id uuid        NOT NULL REFERENCES saved_searches (id) ON DELETE CASCADE,
    sent_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, job_id)
);
CREATE INDEX job_alerts_sent_job ON job_alerts_sent (job_id);
CREATE INDEX job_alerts_sent_search ON job_alerts_sent (search_id);

-- +goose Down
DROP TABLE job_alerts_sent;
DROP TABLE saved_searches;
