package store

import (
	"context"
	"crypto/rand"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// SessionLifetimes bound refresh tokens: Idle since the token was issued,
// Absolute since the login that started its family.
type SessionLifetimes struct {
	Idle     time.Duration
	Absolute time.Duration
}

// StartSession stores the first refresh token of a new login.
func (s *Store) StartSession(ctx context.Context, userID string, tokenHash []byte) error {
	uid, ok := parseUUID(userID)
	if !ok {
		return userNotFound()
	}
	family, err := newUUID()
	if err != nil {
		return err
	}
	return interpretError(s.queries.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{
		FamilyID: family, UserID: uid, TokenHash: tokenHash,
		FamilyTime: pgtype.Timestamptz{Time: time.Now(), Valid: true},
	}))
}

// RotateSession spends the refresh token with oldHash and stores newHash as
// its successor in the same family, returning the session's user id. A
// token already spent revokes its whole family and fails with
// REFRESH_TOKEN_REUSED; an unknown, expired or revoked one fails with
// REFRESH_TOKEN_INVALID. Both are ErrUnauthenticated.
func (s *Store) RotateSession(ctx context.Context, oldHash, newHash []byte, life SessionLifetimes) (string, error) {
	var userID pgtype.UUID
	err := s.inTx(ctx, func(q *db.Queries) error {
		spent, err := q.SpendRefreshToken(ctx, db.SpendRefreshTokenParams{
			TokenHash: oldHash, IdleLifetime: interval(life.Idle), AbsoluteLifetime: interval(life.Absolute),
		})
		if err != nil {
			return err
		}
		userID = spent.UserID
		return q.CreateRefreshToken(ctx, db.CreateRefreshTokenParams{
			FamilyID: spent.FamilyID, UserID: spent.UserID, TokenHash: newHash, FamilyTime: spent.FamilyTime,
		})
	})
	if err == nil {
		return uuidString(userID), nil
	}
	if !errors.Is(err, domain.ErrNotFound) {
		return "", err
	}
	// Nothing live to spend: find out why, outside the rolled-back
	// transaction so that a revocation sticks.
	tok, err := s.queries.GetRefreshToken(ctx, oldHash)
	if err != nil {
		if err := interpretError(err); !errors.Is(err, domain.ErrNotFound) {
			return "", err
		}
		return "", refreshInvalid()
	}
	if tok.SpentTime.Valid && !tok.RevokeTime.Valid {
		if _, err := s.queries.RevokeFamily(ctx, tok.FamilyID); err != nil {
			return "", interpretError(err)
		}
		s.log.Warn("refresh token reused; its session family is revoked", "user_id", uuidString(tok.UserID))
		return "", domain.Errorf(domain.ErrUnauthenticated, "REFRESH_TOKEN_REUSED",
			"this refresh token was already used; every session from that sign-in has been ended")
	}
	return "", refreshInvalid()
}

func refreshInvalid() error {
	return domain.Errorf(domain.ErrUnauthenticated, "REFRESH_TOKEN_INVALID", "the refresh token is invalid or expired")
}

// EndSession revokes the family of the refresh token with the hash. An
// unknown token is not an error: the session is gone either way.
func (s *Store) EndSession(ctx context.Context, tokenHash []byte) error {
	tok, err := s.queries.GetRefreshToken(ctx, tokenHash)
	if err != nil {
		if err := interpretError(err); !errors.Is(err, domain.ErrNotFound) {
			return err
		}
		return nil
	}
	_, err = s.queries.RevokeFamily(ctx, tok.FamilyID)
	return interpretError(err)
}

// EndAllSessions revokes every refresh token of the user.
func (s *Store) EndAllSessions(ctx context.Context, userID string) error {
	uid, ok := parseUUID(userID)
	if !ok {
		return userNotFound()
	}
	_, err := s.queries.RevokeUserTokens(ctx, uid)
	return interpretError(err)
}

// LoginLimits configure sign-in throttling.
type LoginLimits struct {
	Window        time.Duration
	MaxPerAccount int
	// MaxPerAddress failures from one client address within the window
	// space its further attempts AddressInterval apart; 0 turns it off.
	MaxPerAddress   int
	AddressInterval time.Duration
}

// AdmitLogin decides whether a sign-in attempt may check its password, and
// counts it as a failure before it does, atomically and for every instance
// alike, so that concurrent guesses cannot all slip under the limit. It
// returns how long the caller must wait before checking: a client address
// over its limit gets the next free slot, at most maxWait away. It fails
// with ErrResourceExhausted and a RetryAfter, reason TOO_MANY_LOGIN_ATTEMPTS
// while the account has too many recent failures, or
// TOO_MANY_ATTEMPTS_FROM_ADDRESS when the address has no slot within
// maxWait. A correct password must then be followed by ClearLoginFailures.
func (s *Store) AdmitLogin(ctx context.Context, email, clientIP string, l LoginLimits, maxWait time.Duration) (time.Duration, error) {
	var row db.AdmitLoginAttemptRow
	err := s.inTx(ctx, func(q *db.Queries) error {
		if err := q.LockLoginAccount(ctx, email); err != nil {
			return err
		}
		if l.MaxPerAddress > 0 {
			if err := q.LockLoginAddress(ctx, clientIP); err != nil {
				return err
			}
		}
		var err error
		row, err = q.AdmitLoginAttempt(ctx, db.AdmitLoginAttemptParams{
			Email: email, ClientIp: clientIP, WindowLength: interval(l.Window),
			MaxPerAccount: int32(l.MaxPerAccount), MaxPerAddress: int32(l.MaxPerAddress),
			AddressInterval: interval(l.AddressInterval), MaxWait: interval(max(maxWait, 0)),
		})
		return err
	})
	switch {
	case err != nil:
		return 0, err
	case row.AccountLocked:
		return 0, &domain.Error{
			Kind: domain.ErrResourceExhausted, Reason: "TOO_MANY_LOGIN_ATTEMPTS",
			Message: "too many failed sign-in attempts; try again later", RetryAfter: retryAfter(row.UnlockWait),
		}
	case !row.Admitted:
		return 0, &domain.Error{
			Kind: domain.ErrResourceExhausted, Reason: "TOO_MANY_ATTEMPTS_FROM_ADDRESS",
			Message: "too many sign-in attempts from this address; try again shortly", RetryAfter: retryAfter(row.SlotWait),
		}
	}
	return seconds(row.SlotWait), nil
}

// retryAfter is a wait in seconds rounded to what a client can act on.
func retryAfter(secs float64) time.Duration {
	return max(seconds(secs).Round(time.Second), time.Second)
}

func seconds(secs float64) time.Duration {
	return max(time.Duration(secs*float64(time.Second)), 0)
}

// PruneLoginFailures drops failures older than the window, keeping the
// table as small as the throttling needs.
func (s *Store) PruneLoginFailures(ctx context.Context, l LoginLimits) error {
	return interpretError(s.queries.PruneLoginFailures(ctx, interval(l.Window)))
}

// ClearLoginFailures forgets an account's failures after a good sign-in.
func (s *Store) ClearLoginFailures(ctx context.Context, email string) error {
	return interpretError(s.queries.ClearLoginFailures(ctx, email))
}

func newUUID() (pgtype.UUID, error) {
	var u pgtype.UUID
	if _, err := rand.Read(u.Bytes[:]); err != nil {
		return u, err
	}
	u.Bytes[6] = u.Bytes[6]&0x0f | 0x40 // version 4
	u.Bytes[8] = u.Bytes[8]&0x3f | 0x80 // RFC 9562 variant
	u.Valid = true
	return u, nil
}
