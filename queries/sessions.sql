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

-- name: LockLoginAccount :exec
-- Serialises the admission of sign-in attempts for one account across every
-- instance until the transaction ends. Transaction-scoped, so it holds
-- behind PgBouncer in transaction mode, where a session lock would not.
SELECT pg_advisory_xact_lock(hashtextextended('login account ' || @email::text, 0));

-- name: LockLoginAddress :exec
-- The same for one client address. Always taken after the account's lock,
-- so that two admissions never wait for each other in a cycle.
SELECT pg_advisory_xact_lock(hashtextextended('login address ' || @client_ip::text, 0));

-- name: AdmitLoginAttempt :one
-- Decides, under the locks above, whether an attempt may go on to check its
-- password, and if so records it as a failure at once, so that attempts
-- admitted after it count it; a correct password deletes it again. An
-- account at max_per_account is refused. An address at max_per_address
-- gets one attempt per address_interval: the attempt takes the address's
-- next slot, if that is at most max_wait away, and its row is dated to the
-- slot so that the next attempt starts counting from there. A separate
-- statement from the locks, so that its snapshot sees what the previous
-- holder committed. Waits are in seconds on the database's clock, which
-- every instance shares.
WITH recent AS (
    SELECT
        count(*) FILTER (WHERE f.email = @email) AS account_failures,
        min(f.create_time) FILTER (WHERE f.email = @email) AS account_oldest,
        count(*) FILTER (WHERE f.client_ip = @client_ip) AS address_failures,
        max(f.create_time) FILTER (WHERE f.client_ip = @client_ip) AS address_latest
    FROM login_failures AS f
    WHERE (f.email = @email OR f.client_ip = @client_ip)
      AND f.create_time > statement_timestamp() - @window_length::interval
), decision AS (
    SELECT
        account_failures >= @max_per_account::int AS account_locked,
        coalesce(account_oldest, statement_timestamp()) + @window_length::interval AS unlock_time,
        CASE WHEN @max_per_address::int > 0 AND address_failures >= @max_per_address::int
            THEN greatest(statement_timestamp(), address_latest + @address_interval::interval)
            ELSE statement_timestamp()
        END AS slot_time
    FROM recent
), admitted AS (
    INSERT INTO login_failures (email, client_ip, create_time)
    SELECT @email, @client_ip, slot_time FROM decision
    WHERE NOT account_locked AND slot_time <= statement_timestamp() + @max_wait::interval
    RETURNING id
)
SELECT
    EXISTS (SELECT 1 FROM admitted) AS admitted,
    account_locked,
    extract(epoch FROM unlock_time - statement_timestamp())::float8 AS unlock_wait,
    extract(epoch FROM slot_time - statement_timestamp())::float8 AS slot_wait
FROM decision;

-- name: ClearLoginFailures :exec
-- Forgets an account's failures after a correct password, under the
-- account's lock (the key LockLoginAccount takes): attempts already waiting for admission are decided
-- against the failures as they were, so a success in the middle of a burst
-- does not let the rest of it through.
WITH account_lock AS (
    SELECT pg_advisory_xact_lock(hashtextextended('login account ' || @email::text, 0))
)
DELETE FROM login_failures WHERE email = @email AND EXISTS (SELECT FROM account_lock);

-- name: PruneLoginFailures :exec
DELETE FROM login_failures WHERE create_time < now() - @window_length::interval;
