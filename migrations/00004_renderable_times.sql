-- +goose Up
-- Every time a job carries must be one the API can send back: RFC 3339, and
-- so JSON, ends at years 0001 and 9999, and PostgreSQL stores far beyond
-- both. The service refuses such times; the constraint keeps any other
-- writer from storing them. A posting that already holds one (accepted before
-- the service checked) expires 30 days after it was published or created.
UPDATE jobs SET expire_time = coalesce(publish_time, create_time) + interval '30 days'
WHERE expire_time < '0001-01-01 00:00:00+00' OR expire_time >= '10000-01-01 00:00:00+00';

ALTER TABLE jobs ADD CONSTRAINT jobs_times_renderable CHECK (
    expire_time >= '0001-01-01 00:00:00+00' AND expire_time < '10000-01-01 00:00:00+00' AND
    publish_time >= '0001-01-01 00:00:00+00' AND publish_time < '10000-01-01 00:00:00+00'
);

-- +goose Down
ALTER TABLE jobs DROP CONSTRAINT jobs_times_renderable;
