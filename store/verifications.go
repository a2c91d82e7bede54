package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// IssueEmailVerification stores the SHA-256 of a new verification token for
// the active account userID, as the token of the queue job jobID (replacing
// the one an earlier attempt of the job stored), and returns the account.
// ok is false, and nothing is stored, when the account is gone, inactive or
// verified already, or other jobs sent it MaxLinks links within Within.
func (s *Store) IssueEmailVerification(ctx context.Context, userID string, tokenHash []byte, jobID int64, l ResetLimits) (u domain.User, ok bool, err error) {
	uid, valid := parseUUID(userID)
	if !valid {
		return domain.User{}, false, nil
	}
	err = s.inTx(ctx, func(q *db.Queries) error {
		// Serialise with other requests for the account, so that the count
		// holds under concurrency.
		if _, err := q.LockUser(ctx, uid); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			return err
		}
		row, err := q.GetUser(ctx, uid)
		if err != nil || !row.IsActive || row.EmailVerified {
			return err
		}
		n, err := q.CountRecentEmailVerifications(ctx, db.CountRecentEmailVerificationsParams{UserID: uid, Within: interval(l.Within), JobID: jobID})
		if err != nil || n >= int64(l.MaxLinks) {
			return err
		}
		if err := q.CreateEmailVerification(ctx, db.CreateEmailVerificationParams{UserID: uid, TokenHash: tokenHash, ValidFor: interval(l.ValidFor), JobID: jobID}); err != nil {
			return err
		}
		u, ok = toUser(row), true
		return nil
	})
	return u, ok, err
}

// VerifyTokenInvalid refuses a verification token that is unknown, expired
// or used.
func VerifyTokenInvalid() error {
	return domain.Errorf(domain.ErrInvalid, "VERIFY_TOKEN_INVALID", "the verification link is invalid, expired or already used; ask for a new one")
}

// VerifyEmail spends a live verification token and, in the same
// transaction, marks the account's email verified and spends its other
// links.
func (s *Store) VerifyEmail(ctx context.Context, tokenHash []byte) error {
	return s.inTx(ctx, func(q *db.Queries) error {
		uid, err := q.UseEmailVerification(ctx, tokenHash)
		if errors.Is(err, pgx.ErrNoRows) {
			return VerifyTokenInvalid()
		}
		if err != nil {
			return err
		}
		if err := q.SetEmailVerified(ctx, uid); err != nil {
			return err
		}
		return q.EndEmailVerifications(ctx, uid)
	})
}

// PurgeEmailVerifications deletes verification tokens that expired more
// than keptFor ago, and returns how many.
func (s *Store) PurgeEmailVerifications(ctx context.Context, keptFor time.Duration) (int64, error) {
	n, err := s.queries.PurgeEmailVerifications(ctx, interval(keptFor))
	return n, interpretError(err)
}
