-- +goose Up
-- The notices employers were sent that an open job is about to expire:
-- one per job and expiry, so that a renewed job is noticed again.
CREATE TABLE job_expiry_notices (
    job_id      uuid        NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    expire_time timestamptz NOT NULL,
    create_time timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (job_id, expire_time)
);

-- +goose Down
DROP TABLE job_expiry_notices;
