-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (family_id, user_id, token_hash, family_time)
VALUES (@family_id, @user_id, @token_hash, @family_time);

-- name: SpendRefreshToken :one
-- Spends a live token in one conditional update: of two concurrent
-- refreshes with the same token, exactly one gets a row.
UPDATE refresh_tokens SET spent_time = now()
WHERE token_hash = @token_hash
  AND spent_time IS NULL
  AND revoke_time IS NULL
  AND create_time > now() - @idle_lifetime::interval
  AND family_time > now() - @absolute_lifetime::interval
RETURNING family_id, user_id, family_time;

-- name: GetRefreshToken :one
SELECT family_id, user_id, spent_time, revoke_time FROM refresh_tokens WHERE token_hash = @token_hash;

-- name: RevokeFamily :execrows
UPDATE refresh_tokens SET revoke_time = now() WHERE family_id = @family_id AND revoke_time IS NULL;

-- name: RevokeUserTokens :execrows
UPDATE refresh_tokens SET revoke_time = now() WHERE user_id = @user_id AND revoke_time IS NULL;

-- name: CountLoginFailures :one
-- Failures in the window for the account and for the client address, and
-- when the oldest of each leaves the window.
SELECT
    count(*) FILTER (WHERE email = @email)::int AS email_failures,
    coalesce(min(create_time) FILTER (WHERE email = @email), now())::timestamptz AS email_oldest,
    count(*) FILTER (WHERE client_ip = @client_ip)::int AS ip_failures,
    coalesce(min(create_time) FILTER (WHERE client_ip = @client_ip), now())::timestamptz AS ip_oldest
FROM login_failures
WHERE (email = @email OR client_ip = @client_ip)
  AND create_time > now() - @window_length::interval;

-- name: RecordLoginFailure :exec
INSERT INTO login_failures (email, client_ip) VALUES (@email, @client_ip);

-- name: ClearLoginFailures :exec
DELETE FROM login_failures WHERE email = @email;

-- name: PruneLoginFailures :exec
DELETE FROM login_failures WHERE create_time < now() - @window_length::interval;
