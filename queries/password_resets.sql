-- name: CountRecentPasswordResets :one
SELECT count(*) FROM password_resets
WHERE user_id = @user_id AND create_time > now() - @within::interval AND job_id <> @job_id;

-- name: CreatePasswordReset :exec
INSERT INTO password_resets (user_id, token_hash, expire_time, job_id)
VALUES (@user_id, @token_hash, now() + @valid_for::interval, @job_id)
ON CONFLICT (job_id) DO UPDATE SET token_hash = excluded.token_hash, expire_time = excluded.expire_time;

-- name: UsePasswordReset :one
-- Spends a live token in one conditional update: of two uses, one wins.
UPDATE password_resets SET use_time = now()
WHERE token_hash = @token_hash AND use_time IS NULL AND expire_time > now()
RETURNING user_id;

-- name: EndPasswordResets :exec
-- A reset ends the other links still out for the account.
UPDATE password_resets SET use_time = now() WHERE user_id = @user_id AND use_time IS NULL;

-- name: PurgePasswordResets :execrows
DELETE FROM password_resets WHERE expire_time < now() - @kept_for::interval;

-- name: LockUser :one
-- Holds the account's row until the transaction ends.
SELECT id FROM users WHERE id = @id FOR UPDATE;

-- name: PasswordResetLive :one
SELECT count(*) FROM password_resets WHERE token_hash = @token_hash AND use_time IS NULL AND expire_time > now();
