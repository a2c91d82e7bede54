-- name: CountSavedSearches :one
SELECT count(*) FROM saved_searches WHERE user_id = @user_id;

-- name: CreateSavedSearch :one
INSERT INTO saved_searches (user_id, query, islands, categories, employment_types, remote, salary_min, frequency, alerts_paused)
VALUES (@user_id, @query, @islands, @categories, @employment_types, @remote, @salary_min, @frequency, @alerts_paused)
RETURNING *;

-- name: GetSavedSearch :one
SELECT * FROM saved_searches WHERE id = @id AND user_id = @user_id;

-- name: ListSavedSearches :many
SELECT * FROM saved_searches
WHERE user_id = @user_id
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (create_time, id) < (sqlc.narg(after_time)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY create_time DESC, id DESC
LIMIT @page_limit;

-- name: UpdateSavedSearch :one
UPDATE saved_searches SET query = @query, islands = @islands, categories = @categories,
    employment_types = @employment_types, remote = @remote, salary_min = @salary_min, frequency = @frequency,
    alerts_paused = @alerts_paused, update_time = now()
WHERE id = @id AND user_id = @user_id
RETURNING *;

-- name: DeleteSavedSearch :execrows
DELETE FROM saved_searches WHERE id = @id AND user_id = @user_id;

-- name: DueSavedSearches :many
-- A batch of the searches of a frequency whose alerts are on, by id.
SELECT * FROM saved_searches
WHERE frequency = @frequency AND NOT alerts_paused AND id > @after_id
ORDER BY id
LIMIT @lim;

-- name: GetSavedSearchByID :one
SELECT * FROM saved_searches WHERE id = @id;

-- name: RecordJobAlerts :many
-- Records jobs as sent to the user and returns those that were not already.
INSERT INTO job_alerts_sent (user_id, job_id, search_id)
SELECT @user_id, unnest(@job_ids::uuid[]), @search_id
ON CONFLICT DO NOTHING
RETURNING job_id;

-- name: GetOpenJobs :many
-- The jobs of ids that are open, newest first, as an alert lists them.
SELECT id, employer_id, request_id, company, title, description, requirements, benefits, category, employment_type, island, location, remote, salary_min, salary_max, salary_currency, salary_period, skills, status, publish_time, expire_time, create_time, update_time, version
FROM jobs WHERE id = ANY(@ids::uuid[]) AND status = 'OPEN'
ORDER BY publish_time DESC, id DESC;
