-- name: InRecovery :one
-- Reports whether the server is a read-only standby, which cannot take the
-- writes this service makes.
SELECT pg_is_in_recovery()::boolean AS in_recovery;
