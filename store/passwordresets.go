package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// ResetLimits bound the links of one kind (password reset, email
// verification) that one account gets.
type ResetLimits struct {
	ValidFor time.Duration // how long a link works
	Within   time.Duration // the window MaxLinks counts over
	MaxLinks int           // links an account may be sent within Within
}

// IssuePasswordReset stores the SHA-256 of a new reset token for the
// active account with email, as the token of the queue job jobID (replacing
// the one an earlier attempt of the job stored), and returns the account. ok
// is false, and nothing is stored, when no active account has the email or
// other jobs sent it MaxLinks links within Within already.
func (s *Store) IssuePasswordReset(ctx context.Context, email string, tokenHash []byte, jobID int64, l ResetLimits) (u domain.User, ok bool, err error) {
	err = s.inTx(ctx, func(q *db.Queries) error {
		row, err := q.GetUserByEmail(ctx, email)
		if errors.Is(err, pgx.ErrNoRows) || err == nil && !row.IsActive {
			return nil
		}
		if err != nil {
			return err
		}
		// Serialise with other requests for the account, so that the count
		// holds under concurrency.
		if _, err := q.LockUser(ctx, row.ID); err != nil {
			return err
		}
		n, err := q.CountRecentPasswordResets(ctx, db.CountRecentPasswordResetsParams{UserID: row.ID, Within: interval(l.Within), JobID: jobID})
		if err != nil || n >= int64(l.MaxLinks) {
			return err
		}
		if err := q.CreatePasswordReset(ctx, db.CreatePasswordResetParams{UserID: row.ID, TokenHash: tokenHash, ValidFor: interval(l.ValidFor), JobID: jobID}); err != nil {
			return err
		}
		u, ok = toUser(row), true
		return nil
	})
	return u, ok, err
}

// ResetTokenInvalid refuses a reset token that is unknown, expired or used.
func ResetTokenInvalid() error {
	return domain.Errorf(domain.ErrInvalid, "RESET_TOKEN_INVALID", "the reset link is invalid, expired or already used; ask for a new one")
}

// CheckPasswordReset tells whether a reset token is live, before the work
// of hashing a new password is spent on it.
func (s *Store) CheckPasswordReset(ctx context.Context, tokenHash []byte) error {
	n, err := s.queries.PasswordResetLive(ctx, tokenHash)
	if err != nil {
		return interpretError(err)
	}
	if n == 0 {
		return ResetTokenInvalid()
	}
	return nil
}

// ResetPassword spends a live reset token and, in the same transaction,
// sets the account's password hash, ends every session and every other
// link, and queues the notice that the password changed.
func (s *Store) ResetPassword(ctx context.Context, tokenHash []byte, passwordHash string) error {
	return s.inTxJobs(ctx, func(q *db.Queries) ([]domain.Task, error) {
		uid, err := q.UsePasswordReset(ctx, tokenHash)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil, ResetTokenInvalid()
		}
		if err != nil {
			return nil, err
		}
		if err := q.SetPasswordHash(ctx, db.SetPasswordHashParams{ID: uid, PasswordHash: passwordHash}); err != nil {
			return nil, err
		}
		if _, err := q.RevokeUserTokens(ctx, uid); err != nil {
			return nil, err
		}
		if err := q.EndPasswordResets(ctx, uid); err != nil {
			return nil, err
		}
		return []domain.Task{domain.PasswordChanged{UserID: uuidString(uid)}}, nil
	})
}

// PurgePasswordResets deletes reset tokens that expired more than keptFor
// ago, and returns how many.
func (s *Store) PurgePasswordResets(ctx context.Context, keptFor time.Duration) (int64, error) {
	n, err := s.queries.PurgePasswordResets(ctx, interval(keptFor))
	return n, interpretError(err)
}
