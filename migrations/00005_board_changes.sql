-- +goose Up
-- Each instance keeps public answers about jobs in memory for a few seconds.
-- Every statement that writes jobs, whoever runs it (any instance, the admin
-- command, seeds, psql), counts itself here and announces the jobs it wrote
-- on the board_changes channel, in its own transaction: nothing is announced
-- that did not commit, and nothing commits unannounced. Instances that can
-- LISTEN act on the announcement; the others poll the count.
--
-- The count is one row, so transactions that write jobs take their turns at
-- it until they commit; the service's writes are single statements.
CREATE TABLE board_changes (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    -- Statements that have written jobs.
    changes   bigint  NOT NULL DEFAULT 0,
    -- The one job the last of them wrote; null when it wrote several.
    last_job  uuid
);
INSERT INTO board_changes DEFAULT VALUES;

-- The payload is "<changes>:<ids, comma-separated>", the ids left out when
-- there are more than 100 (a NOTIFY payload must stay under 8000 bytes), so
-- that a listener can tell a change it missed from one it was told of.
-- +goose StatementBegin
CREATE FUNCTION board_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    written int;
    ids     text;
    n       bigint;
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        written := 101;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT count(*), string_agg(id::text, ',') INTO written, ids FROM (SELECT id FROM old_rows LIMIT 101) AS w;
    ELSE
        SELECT count(*), string_agg(id::text, ',') INTO written, ids FROM (SELECT id FROM new_rows LIMIT 101) AS w;
    END IF;
    IF written = 0 THEN
        RETURN NULL;
    END IF;
    IF written > 100 THEN
        ids := NULL;
    END IF;
    UPDATE board_changes SET changes = changes + 1, last_job = CASE WHEN written = 1 THEN ids::uuid END
    RETURNING changes INTO n;
    PERFORM pg_notify('board_changes', n || ':' || coalesce(ids, ''));
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER jobs_inserted_announce AFTER INSERT ON jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION board_changed();
CREATE TRIGGER jobs_updated_announce AFTER UPDATE ON jobs
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION board_changed();
CREATE TRIGGER jobs_deleted_announce AFTER DELETE ON jobs
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION board_changed();
CREATE TRIGGER jobs_truncated_announce AFTER TRUNCATE ON jobs
    FOR EACH STATEMENT EXECUTE FUNCTION board_changed();

-- +goose Down
DROP TRIGGER jobs_truncated_announce ON jobs;
DROP TRIGGER jobs_deleted_announce ON jobs;
DROP TRIGGER jobs_updated_announce ON jobs;
DROP TRIGGER jobs_inserted_announce ON jobs;
DROP FUNCTION board_changed;
DROP TABLE board_changes;
