package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// NewUser is what registration stores.
type NewUser struct {
	Email        string // already normalised
	PasswordHash string
	Role         domain.Role
	FirstName    string
	LastName     string
	Phone        string
	Location     string
	// MailVerification queues, in the account's own transaction, the mail
	// with a link that verifies the email. Accounts that operators create
	// from the command line, which has no queue, go without.
	MailVerification bool
}

// CreateUser stores a new account. A taken email fails with
// ErrAlreadyExists, reason EMAIL_TAKEN, and queues nothing.
func (s *Store) CreateUser(ctx context.Context, u NewUser) (domain.User, error) {
	var row db.User
	err := s.inTxJobs(ctx, func(q *db.Queries) ([]domain.Task, error) {
		var err error
		row, err = q.CreateUser(ctx, db.CreateUserParams{
			Email: u.Email, PasswordHash: u.PasswordHash, Role: string(u.Role),
			FirstName: u.FirstName, LastName: u.LastName, Phone: u.Phone, Location: u.Location,
		})
		if err != nil || !u.MailVerification {
			return nil, err
		}
		return []domain.Task{domain.EmailVerificationRequested{UserID: uuidString(row.ID)}}, nil
	})
	if err != nil {
		if errors.Is(err, domain.ErrAlreadyExists) {
			return domain.User{}, domain.Errorf(domain.ErrAlreadyExists, "EMAIL_TAKEN", "an account with this email already exists")
		}
		return domain.User{}, err
	}
	return toUser(row), nil
}

// GetUser returns the user with the id, active or not.
func (s *Store) GetUser(ctx context.Context, id string) (domain.User, error) {
	uid, ok := parseUUID(id)
	if !ok {
		return domain.User{}, userNotFound()
	}
	row, err := s.queries.GetUser(ctx, uid)
	if err != nil {
		return domain.User{}, notFoundAs(interpretError(err), userNotFound())
	}
	return toUser(row), nil
}

// GetCredentials returns the user with the email and their password hash,
// in one query: what sign-in needs.
func (s *Store) GetCredentials(ctx context.Context, email string) (domain.User, string, error) {
	row, err := s.queries.GetUserByEmail(ctx, email)
	if err != nil {
		return domain.User{}, "", notFoundAs(interpretError(err), userNotFound())
	}
	return toUser(row), row.PasswordHash, nil
}

// GetCredentialsByID is GetCredentials for a user id.
func (s *Store) GetCredentialsByID(ctx context.Context, id string) (domain.User, string, error) {
	uid, ok := parseUUID(id)
	if !ok {
		return domain.User{}, "", userNotFound()
	}
	row, err := s.queries.GetUser(ctx, uid)
	if err != nil {
		return domain.User{}, "", notFoundAs(interpretError(err), userNotFound())
	}
	return toUser(row), row.PasswordHash, nil
}

// GetUserByEmail returns the user with the email, active or not.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (domain.User, error) {
	row, err := s.queries.GetUserByEmail(ctx, email)
	if err != nil {
		return domain.User{}, notFoundAs(interpretError(err), userNotFound())
	}
	return toUser(row), nil
}

// UpdateProfile replaces an active user's profile.
func (s *Store) UpdateProfile(ctx context.Context, id string, p domain.Profile) (domain.User, error) {
	uid, ok := parseUUID(id)
	if !ok {
		return domain.User{}, userNotFound()
	}
	row, err := s.queries.UpdateProfile(ctx, db.UpdateProfileParams{
		ID: uid, FirstName: p.FirstName, LastName: p.LastName, Phone: p.Phone, Location: p.Location,
		Headline: p.Headline, CompanyName: p.CompanyName, Bio: p.Bio, Skills: textArray(p.Skills),
		AvatarUrl: p.AvatarURL, AvailableForHire: p.AvailableForHire,
	})
	if err != nil {
		return domain.User{}, notFoundAs(interpretError(err), userNotFound())
	}
	return toUser(row), nil
}

// SetPasswordHash replaces a user's password hash and ends every session,
// in one transaction.
func (s *Store) SetPasswordHash(ctx context.Context, id, hash string) error {
	uid, ok := parseUUID(id)
	if !ok {
		return userNotFound()
	}
	return s.inTx(ctx, func(q *db.Queries) error {
		if err := q.SetPasswordHash(ctx, db.SetPasswordHashParams{ID: uid, PasswordHash: hash}); err != nil {
			return err
		}
		_, err := q.RevokeUserTokens(ctx, uid)
		return err
	})
}

// SetActive activates or deactivates an account; deactivating also ends
// every session.
func (s *Store) SetActive(ctx context.Context, id string, active bool) (domain.User, error) {
	uid, ok := parseUUID(id)
	if !ok {
		return domain.User{}, userNotFound()
	}
	var row db.User
	err := s.inTx(ctx, func(q *db.Queries) error {
		var err error
		if row, err = q.SetActive(ctx, db.SetActiveParams{ID: uid, IsActive: active}); err != nil {
			return err
		}
		if !active {
			_, err = q.RevokeUserTokens(ctx, uid)
		}
		return err
	})
	if err != nil {
		return domain.User{}, notFoundAs(err, userNotFound())
	}
	return toUser(row), nil
}

// SetRole changes a user's role.
func (s *Store) SetRole(ctx context.Context, id string, role domain.Role) (domain.User, error) {
	uid, ok := parseUUID(id)
	if !ok {
		return domain.User{}, userNotFound()
	}
	row, err := s.queries.SetRole(ctx, db.SetRoleParams{ID: uid, Role: string(role)})
	if err != nil {
		return domain.User{}, notFoundAs(interpretError(err), userNotFound())
	}
	return toUser(row), nil
}

// ListUsers returns up to limit active users matching f, newest first,
// after the cursor if one is given; admins only if f asks for them.
func (s *Store) ListUsers(ctx context.Context, f domain.UserFilter, after *domain.PageCursor, limit int) ([]domain.User, error) {
	p, err := timePage(after, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.queries.ListUsers(ctx, db.ListUsersParams{
		Query:            nonEmpty(f.Query),
		Location:         nonEmpty(f.Location),
		Skill:            nonEmpty(f.Skill),
		AvailableForHire: f.AvailableForHire,
		WithAdmins:       f.WithAdmins,
		AfterTime:        p.After,
		AfterID:          p.AfterID,
		PageLimit:        p.Limit,
	})
	if err != nil {
		return nil, interpretError(err)
	}
	users := make([]domain.User, len(rows))
	for i, r := range rows {
		users[i] = toUser(r)
	}
	return users, nil
}

func userNotFound() error {
	return domain.Errorf(domain.ErrNotFound, "USER_NOT_FOUND", "no such user")
}

// notFoundAs replaces a generic not-found with a specific one.
func notFoundAs(err, specific error) error {
	if errors.Is(err, domain.ErrNotFound) {
		return specific
	}
	return err
}

// textArray stores a nil list as an empty array: the columns are NOT NULL.
func textArray(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func toUser(r db.User) domain.User {
	return domain.User{
		ID:            uuidString(r.ID),
		Email:         r.Email,
		Role:          domain.Role(r.Role),
		Active:        r.IsActive,
		EmailVerified: r.EmailVerified,
		CreateTime:    r.CreateTime.Time,
		UpdateTime:    r.UpdateTime.Time,
		Profile: domain.Profile{
			FirstName: r.FirstName, LastName: r.LastName, Phone: r.Phone, Location: r.Location,
			Headline: r.Headline, CompanyName: r.CompanyName, Bio: r.Bio, Skills: r.Skills,
			AvatarURL: r.AvatarUrl, AvailableForHire: r.AvailableForHire,
		},
	}
}

// parseUUID accepts the canonical text form only.
func parseUUID(s string) (pgtype.UUID, bool) {
	var u pgtype.UUID
	if len(s) != 36 || u.Scan(s) != nil {
		return pgtype.UUID{}, false
	}
	return u, true
}

func uuidString(u pgtype.UUID) string {
	if !u.Valid {
		return ""
	}
	v, _ := u.Value()
	s, _ := v.(string)
	return s
}

// inTx runs fn in a transaction, committing if it returns nil and rolling
// back otherwise. Errors come back interpreted.
func (s *Store) inTx(ctx context.Context, fn func(q *db.Queries) error) error {
	tx, err := s.db.Begin(ctx)
	if err != nil {
		return interpretError(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if err := fn(s.queries.WithTx(tx)); err != nil {
		return interpretError(err)
	}
	return interpretError(tx.Commit(ctx))
}

// interval converts a duration for an interval parameter.
func interval(d time.Duration) pgtype.Interval {
	return pgtype.Interval{Microseconds: d.Microseconds(), Valid: true}
}

// SetPasswordHashOnly replaces a password hash without ending sessions: for
// upgrading the hash of the same password to stronger parameters.
func (s *Store) SetPasswordHashOnly(ctx context.Context, id, hash string) error {
	uid, ok := parseUUID(id)
	if !ok {
		return userNotFound()
	}
	return interpretError(s.queries.SetPasswordHash(ctx, db.SetPasswordHashParams{ID: uid, PasswordHash: hash}))
}
