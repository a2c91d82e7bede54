-- name: ListMailOptOuts :many
SELECT kind FROM mail_opt_outs WHERE user_id = @user_id ORDER BY kind;

-- name: AddMailOptOut :exec
-- Nothing for an account that no longer exists: an unsubscribe link
-- outlives its account.
INSERT INTO mail_opt_outs (user_id, kind)
SELECT @user_id, @kind WHERE EXISTS (SELECT 1 FROM users WHERE id = @user_id)
ON CONFLICT DO NOTHING;

-- name: RemoveMailOptOut :exec
DELETE FROM mail_opt_outs WHERE user_id = @user_id AND kind = @kind;

-- name: MailOptedOut :one
SELECT EXISTS (SELECT 1 FROM mail_opt_outs WHERE user_id = @user_id AND kind = @kind);

-- name: ListUnnotifiedApplications :many
-- The applications to an employer's jobs not yet in a notice, oldest first,
-- with what the notice says of each.
SELECT a.id, a.status, j.title AS job_title, u.first_name, u.last_name
FROM applications a
JOIN jobs j ON j.id = a.job_id
JOIN users u ON u.id = a.applicant_id
WHERE j.employer_id = @employer_id AND a.notify_time IS NULL
ORDER BY a.create_time, a.id
LIMIT @max_rows;

-- name: MarkApplicationsNotified :exec
UPDATE applications SET notify_time = now() WHERE id = ANY (@ids::uuid[]) AND notify_time IS NULL;
