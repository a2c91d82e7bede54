-- name: CreateApplication :one
INSERT INTO applications (job_id, applicant_id, cover_letter, resume_url)
VALUES (@job_id, @applicant_id, @cover_letter, @resume_url)
RETURNING *;

-- name: GetApplication :one
-- With the job's owner, for permission checks, and title, for display.
SELECT a.*, j.employer_id, j.title AS job_title
FROM applications a JOIN jobs j ON j.id = a.job_id
WHERE a.id = @id;

-- name: SetApplicationStatus :one
-- Moves an application only from the status the caller saw, so two
-- concurrent moves cannot both apply.
UPDATE applications SET status = @status, update_time = now()
WHERE id = @id AND status = @from_status
RETURNING *;

-- name: ListJobApplications :many
SELECT a.*, j.title AS job_title
FROM applications a JOIN jobs j ON j.id = a.job_id
WHERE a.job_id = @job_id
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (a.create_time, a.id) < (sqlc.narg(after_time)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY a.create_time DESC, a.id DESC
LIMIT @page_limit;

-- name: ListMyApplications :many
SELECT a.*, j.title AS job_title
FROM applications a JOIN jobs j ON j.id = a.job_id
WHERE a.applicant_id = @applicant_id
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (a.create_time, a.id) < (sqlc.narg(after_time)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY a.create_time DESC, a.id DESC
LIMIT @page_limit;
