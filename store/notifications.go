package store

import (
	"context"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// MailPreferences returns which kinds of mail the account gets.
func (s *Store) MailPreferences(ctx context.Context, userID string) (domain.MailPreferences, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil, userNotFound()
	}
	off, err := s.queries.ListMailOptOuts(ctx, uid)
	if err != nil {
		return nil, interpretError(err)
	}
	return preferences(off), nil
}

func preferences(off []string) domain.MailPreferences {
	p := domain.MailPreferences{}
	for _, k := range domain.MailKinds {
		p[k] = true
	}
	for _, k := range off {
		p[domain.MailKind(k)] = false
	}
	return p
}

// SetMailPreferences turns the kinds in change on or off, together, and
// returns the account's preferences after.
func (s *Store) SetMailPreferences(ctx context.Context, userID string, change domain.MailPreferences) (domain.MailPreferences, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil, userNotFound()
	}
	var after domain.MailPreferences
	err := s.inTx(ctx, func(q *db.Queries) error {
		for kind, on := range change {
			var err error
			if on {
				err = q.RemoveMailOptOut(ctx, db.RemoveMailOptOutParams{UserID: uid, Kind: string(kind)})
			} else {
				err = q.AddMailOptOut(ctx, db.AddMailOptOutParams{UserID: uid, Kind: string(kind)})
			}
			if err != nil {
				return err
			}
		}
		off, err := q.ListMailOptOuts(ctx, uid)
		after = preferences(off)
		return err
	})
	if err != nil {
		return nil, err
	}
	return after, nil
}

// Unsubscribe turns one kind of mail off; again, or for an account that is
// gone, it does nothing.
func (s *Store) Unsubscribe(ctx context.Context, userID string, kind domain.MailKind) error {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil
	}
	return interpretError(s.queries.AddMailOptOut(ctx, db.AddMailOptOutParams{UserID: uid, Kind: string(kind)}))
}

// WantsMail reports whether the account gets mail of the kind.
func (s *Store) WantsMail(ctx context.Context, userID string, kind domain.MailKind) (bool, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return false, userNotFound()
	}
	out, err := s.queries.MailOptedOut(ctx, db.MailOptedOutParams{UserID: uid, Kind: string(kind)})
	return !out, interpretError(err)
}

// NewApplication is one line of an employer's notice.
type NewApplication struct {
	ID, Status, JobTitle, FirstName, LastName string
}

// maxNoticeLines bounds the applications one notice lists; the rest go in
// the next.
const maxNoticeLines = 100

// UnnotifiedApplications returns the applications to the employer's jobs
// that no notice has listed yet, oldest first, withdrawn ones included, at
// most maxNoticeLines.
func (s *Store) UnnotifiedApplications(ctx context.Context, employerID string) ([]NewApplication, error) {
	uid, ok := parseUUID(employerID)
	if !ok {
		return nil, userNotFound()
	}
	rows, err := s.queries.ListUnnotifiedApplications(ctx, db.ListUnnotifiedApplicationsParams{EmployerID: uid, MaxRows: maxNoticeLines})
	if err != nil {
		return nil, interpretError(err)
	}
	out := make([]NewApplication, len(rows))
	for i, r := range rows {
		out[i] = NewApplication{ID: uuidString(r.ID), Status: r.Status, JobTitle: r.JobTitle, FirstName: r.FirstName, LastName: r.LastName}
	}
	return out, nil
}

// MarkNotified records that a notice listed the applications.
func (s *Store) MarkNotified(ctx context.Context, ids []string) error {
	uids := make([]pgtype.UUID, 0, len(ids))
	for _, id := range ids {
		if u, ok := parseUUID(id); ok {
			uids = append(uids, u)
		}
	}
	return interpretError(s.queries.MarkApplicationsNotified(ctx, uids))
}
