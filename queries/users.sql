-- name: CreateUser :one
INSERT INTO users (email, password_hash, role, first_name, last_name, phone, location)
VALUES (@email, @password_hash, @role, @first_name, @last_name, @phone, @location)
RETURNING *;

-- name: GetUser :one
SELECT * FROM users WHERE id = @id;

-- name: GetUserByEmail :one
SELECT * FROM users WHERE email = @email;

-- name: UpdateProfile :one
-- Sets every profile field; the caller merges the update mask first.
UPDATE users SET
    first_name = @first_name,
    last_name = @last_name,
    phone = @phone,
    location = @location,
    headline = @headline,
    company_name = @company_name,
    bio = @bio,
    skills = @skills,
    avatar_url = @avatar_url,
    available_for_hire = @available_for_hire,
    update_time = now()
WHERE id = @id AND is_active
RETURNING *;

-- name: SetPasswordHash :exec
UPDATE users SET password_hash = @password_hash, update_time = now() WHERE id = @id;

-- name: SetActive :one
UPDATE users SET is_active = @is_active, update_time = now() WHERE id = @id RETURNING *;

-- name: SetRole :one
UPDATE users SET role = @role, update_time = now() WHERE id = @id RETURNING *;

-- name: ListUsers :many
-- Active users, newest first, after the keyset cursor. Admin accounts only
-- when asked for: they are staff, not talent.
SELECT * FROM users
WHERE is_active
  AND (sqlc.arg(with_admins)::boolean OR role <> 'ADMIN')
  AND (sqlc.narg(query)::text IS NULL OR users_search_document(first_name, last_name, headline, skills) @@ websearch_to_tsquery('simple', sqlc.narg(query)::text))
  AND (sqlc.narg(location)::text IS NULL OR location = sqlc.narg(location)::text)
  AND (sqlc.narg(skill)::text IS NULL OR EXISTS (
        SELECT 1 FROM unnest(skills) AS s WHERE lower(s) = lower(sqlc.narg(skill)::text)))
  AND (sqlc.narg(available_for_hire)::boolean IS NULL OR available_for_hire = sqlc.narg(available_for_hire)::boolean)
  AND (sqlc.narg(after_time)::timestamptz IS NULL
       OR (create_time, id) < (sqlc.narg(after_time)::timestamptz, sqlc.narg(after_id)::uuid))
ORDER BY create_time DESC, id DESC
LIMIT @page_limit;
