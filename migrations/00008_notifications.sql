-- +goose Up
-- Mail an account turned off, one row a kind: every kind is on until the
-- account turns it off, so a new kind needs no backfill.
CREATE TABLE mail_opt_outs (
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind        text        NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, kind),
    CONSTRAINT mail_opt_outs_kind_known CHECK (kind IN ('new_applications', 'application_updates', 'job_alerts'))
);

-- When the employer was told of the application; NULL until the batched
-- notice that lists it is sent. Applications made before notices existed
-- count as told, so that the first notice does not list them all.
ALTER TABLE applications ADD COLUMN notify_time timestamptz;
UPDATE applications SET notify_time = create_time;
CREATE INDEX applications_unnotified ON applications (job_id) WHERE notify_time IS NULL;

-- +goose Down
DROP INDEX applications_unnotified;
ALTER TABLE applications DROP COLUMN notify_time;
DROP TABLE mail_opt_outs;
