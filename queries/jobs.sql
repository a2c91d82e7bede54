-- Job queries list their columns: the table's search vector stays in the
-- database.

-- name: CreateJob :one
-- A repeated (employer_id, request_id) inserts nothing and returns no row.
INSERT INTO jobs (employer_id, request_id, company, title, description, requirements, benefits, category,
                  employment_type, island, location, remote, salary_min, salary_max, salary_currency,
                  salary_period, skills, status, publish_time, expire_time)
VALUES (@employer_id, sqlc.narg(request_id), @company, @title, @description, @requirements, @benefits, @category,
        @employment_type, @island, @location, @remote, @salary_min, @salary_max, @salary_currency,
        @salary_period, @skills, @status, sqlc.narg(publish_time), sqlc.narg(expire_time))
ON CONFLICT (employer_id, request_id) WHERE request_id IS NOT NULL DO NOTHING
RETURNING id, employer_id, request_id, company, title, description, requirements, benefits, category, employment_type, island, location, remote, salary_min, salary_max, salary_currency, salary_period, skills, status, publish_time, expire_time, create_time, update_time, version;

-- name: GetJobByRequest :one
SELECT id, employer_id, request_id, company, title, description, requirements, benefits, category, employment_type, island, location, remote, salary_min, salary_max, salary_currency, salary_period, skills, status, publish_time, expire_time, create_time, update_time, version FROM jobs WHERE employer_id = @employer_id AND request_id = @request_id;

-- name: GetJob :one
SELECT id, employer_id, request_id, company, title, description, requirements, benefits, category, employment_type, island, location, remote, salary_min, salary_max, salary_currency, salary_period, skills, status, publish_time, expire_time, create_time, update_time, version FROM jobs WHERE id = @id;

-- name: UpdateJob :one
-- Writes every editable field; the caller merges the update mask first.
-- A version other than the current one (when given) matches no row.
UPDATE jobs SET
    company = @company, title = @title, description = @description, requirements = @requirements,
    benefits = @benefits, category = @category, employment_type = @employment_type, island = @island,
    location = @location, remote = @remote, salary_min = @salary_min, salary_max = @salary_max,
    salary_currency = @salary_currency, salary_period = @salary_period, skills = @skills, status = @status,
    publish_time = sqlc.narg(publish_time), expire_time = sqlc.narg(expire_time),
    update_time = now(), version = version + 1
WHERE id = @id AND version = @expected_version
RETURNING id, employer_id, request_id, company, title, description, requirements, benefits, category, employment_type, island, location, remote, salary_min, salary_max, salary_currency, salary_period, skills, status, publish_time, expire_time, create_time, update_time, version;

-- name: DeleteJob :execrows
DELETE FROM jobs WHERE id = @id;

-- name: JobStats :one
SELECT
    count(*)::int AS active_jobs,
    count(DISTINCT employer_id)::int AS companies_hiring,
    (count(*) FILTER (WHERE publish_time > now() - interval '7 days'))::int AS new_this_week
FROM jobs
WHERE status = 'OPEN' AND publish_time <= now() AND expire_time > now();

-- name: SaveJob :exec
INSERT INTO saved_jobs (user_id, job_id) VALUES (@user_id, @job_id) ON CONFLICT DO NOTHING;

-- name: UnsaveJob :exec
DELETE FROM saved_jobs WHERE user_id = @user_id AND job_id = @job_id;

-- name: ListSavedJobs :many
SELECT j.id, j.employer_id, j.request_id, j.company, j.title, j.description, j.requirements, j.benefits,
       j.category, j.employment_type, j.island, j.location, j.remote, j.salary_min, j.salary_max,
       j.salary_currency, j.salary_period, j.skills, j.status, j.publish_time, j.expire_time, j.create_time,
       j.update_time, j.version, s.create_time AS saved_time
FROM saved_jobs s JOIN jobs j ON j.id = s.job_id
WHERE s.user_id = @user_id
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (s.create_time, s.job_id) < (sqlc.narg(after_time)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY s.create_time DESC, s.job_id DESC
LIMIT @page_limit;
