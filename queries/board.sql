-- name: BoardChanges :one
-- How many statements have written jobs, and the one job the last of them
-- wrote (null when it wrote several).
SELECT changes, last_job FROM board_changes;

-- name: NotifyBoard :exec
-- Sends payload on the board_changes channel, to prove that a listener
-- hears what other sessions send.
SELECT pg_notify('board_changes', @payload::text);
