-- name: ClaimExpiringJobs :many
-- Records a notice for each open job expiring within the window that has
-- none for its expiry yet, and returns those jobs.
INSERT INTO job_expiry_notices (job_id, expire_time)
SELECT id, expire_time FROM jobs
WHERE status = 'OPEN' AND expire_time > now() AND expire_time <= now() + @within::interval
ORDER BY expire_time
LIMIT @max_jobs
ON CONFLICT DO NOTHING
RETURNING job_id;
