-- name: CountRecentEmailVerifications :one
SELECT count(*) FROM email_verifications
WHERE user_id = @user_id AND create_time > now() - @within::interval AND job_id <> @job_id;

-- name: CreateEmailVerification :exec
INSERT INTO email_verifications (user_id, token_hash, expire_time, job_id)
VALUES (@user_id, @token_hash, now() + @valid_for::interval, @job_id)
ON CONFLICT (job_id) DO UPDATE SET token_hash = excluded.token_hash, expire_time = excluded.expire_time;

-- name: UseEmailVerification :one
-- Spends a live token in one conditional update: of two uses, one wins.
UPDATE email_verifications SET use_time = now()
WHERE token_hash = @token_hash AND use_time IS NULL AND expire_time > now()
RETURNING user_id;

-- name: EndEmailVerifications :exec
-- Once the email is verified, the other links still out are spent too.
UPDATE email_verifications SET use_time = now() WHERE user_id = @user_id AND use_time IS NULL;

-- name: SetEmailVerified :exec
UPDATE users SET email_verified = true, update_time = now() WHERE id = @id;

-- name: PurgeEmailVerifications :execrows
DELETE FROM email_verifications WHERE expire_time < now() - @kept_for::interval;
