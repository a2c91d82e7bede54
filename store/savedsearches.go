package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

func savedSearchNotFound() error {
	return domain.Errorf(domain.ErrNotFound, "SAVED_SEARCH_NOT_FOUND", "no such saved search")
}

func toSavedSearch(r db.SavedSearch) domain.SavedSearch {
	return domain.SavedSearch{
		ID: uuidString(r.ID), UserID: uuidString(r.UserID),
		Filter: domain.JobFilter{
			Query: r.Query, Islands: r.Islands, Categories: r.Categories, EmploymentTypes: r.EmploymentTypes,
			Remote: r.Remote, SalaryMin: r.SalaryMin,
		},
		Frequency: r.Frequency, AlertsPaused: r.AlertsPaused, CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time,
	}
}

// CreateSavedSearch saves a search for its user, who may keep at most
// domain.MaxSavedSearches of them.
func (s *Store) CreateSavedSearch(ctx context.Context, in domain.SavedSearch) (out domain.SavedSearch, err error) {
	uid, ok := parseUUID(in.UserID)
	if !ok {
		return out, userNotFound()
	}
	err = s.inTx(ctx, func(q *db.Queries) error {
		// Serialise the user's creations, so that the count holds.
		if _, err := q.LockUser(ctx, uid); err != nil {
			return notFoundAs(interpretError(err), userNotFound())
		}
		n, err := q.CountSavedSearches(ctx, uid)
		if err != nil {
			return err
		}
		if n >= domain.MaxSavedSearches {
			return domain.Errorf(domain.ErrFailedPrecondition, "SAVED_SEARCH_LIMIT",
				"at most %d saved searches; delete one first", domain.MaxSavedSearches)
		}
		f := in.Filter
		row, err := q.CreateSavedSearch(ctx, db.CreateSavedSearchParams{
			UserID: uid, Query: f.Query, Islands: textArray(f.Islands), Categories: textArray(f.Categories),
			EmploymentTypes: textArray(f.EmploymentTypes), Remote: f.Remote, SalaryMin: f.SalaryMin,
			Frequency: in.Frequency, AlertsPaused: in.AlertsPaused,
		})
		out = toSavedSearch(row)
		return err
	})
	return out, err
}

// GetSavedSearch returns one of userID's saved searches.
func (s *Store) GetSavedSearch(ctx context.Context, userID, id string) (domain.SavedSearch, error) {
	uid, ok1 := parseUUID(userID)
	sid, ok2 := parseUUID(id)
	if !ok1 || !ok2 {
		return domain.SavedSearch{}, savedSearchNotFound()
	}
	row, err := s.queries.GetSavedSearch(ctx, db.GetSavedSearchParams{ID: sid, UserID: uid})
	if err != nil {
		return domain.SavedSearch{}, notFoundAs(interpretError(err), savedSearchNotFound())
	}
	return toSavedSearch(row), nil
}

// ListSavedSearches returns userID's saved searches, newest first.
func (s *Store) ListSavedSearches(ctx context.Context, userID string, after *domain.PageCursor, limit int) ([]domain.SavedSearch, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil, userNotFound()
	}
	p, err := timePage(after, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.queries.ListSavedSearches(ctx, db.ListSavedSearchesParams{UserID: uid, AfterTime: p.After, AfterID: p.AfterID, PageLimit: p.Limit})
	if err != nil {
		return nil, interpretError(err)
	}
	out := make([]domain.SavedSearch, len(rows))
	for i, r := range rows {
		out[i] = toSavedSearch(r)
	}
	return out, nil
}

// UpdateSavedSearch replaces what of a saved search its user may change.
func (s *Store) UpdateSavedSearch(ctx context.Context, in domain.SavedSearch) (domain.SavedSearch, error) {
	uid, ok1 := parseUUID(in.UserID)
	sid, ok2 := parseUUID(in.ID)
	if !ok1 || !ok2 {
		return domain.SavedSearch{}, savedSearchNotFound()
	}
	f := in.Filter
	row, err := s.queries.UpdateSavedSearch(ctx, db.UpdateSavedSearchParams{
		ID: sid, UserID: uid, Query: f.Query, Islands: textArray(f.Islands), Categories: textArray(f.Categories),
		EmploymentTypes: textArray(f.EmploymentTypes), Remote: f.Remote, SalaryMin: f.SalaryMin,
		Frequency: in.Frequency, AlertsPaused: in.AlertsPaused,
	})
	if err != nil {
		return domain.SavedSearch{}, notFoundAs(interpretError(err), savedSearchNotFound())
	}
	return toSavedSearch(row), nil
}

// DeleteSavedSearch deletes one of userID's saved searches.
func (s *Store) DeleteSavedSearch(ctx context.Context, userID, id string) error {
	uid, ok1 := parseUUID(userID)
	sid, ok2 := parseUUID(id)
	if !ok1 || !ok2 {
		return savedSearchNotFound()
	}
	n, err := s.queries.DeleteSavedSearch(ctx, db.DeleteSavedSearchParams{ID: sid, UserID: uid})
	if err != nil {
		return interpretError(err)
	}
	if n == 0 {
		return savedSearchNotFound()
	}
	return nil
}

// AlertSweep bounds one sweep of saved searches.
type AlertSweep struct {
	Frequency string
	// Within is how far back a job's publication may be and still be
	// alerted: longer than the sweep's interval, so that a sweep that ran
	// late misses nothing; what was sent is never sent again.
	Within time.Duration
	// MaxJobs is how many jobs one mail lists; the rest wait for the next
	// sweep.
	MaxJobs int
}

// sweepBatch is how many saved searches a sweep reads at a time.
const sweepBatch = 500

// SweepJobAlerts matches every saved search of the sweep's frequency with
// alerts on against the board, as ListJobs would, for jobs published since
// the search was saved (and within Within) that its owner was not sent. For
// each search with some, it records them as sent and queues the mail that
// lists them, in one transaction. It returns how many mails it queued.
func (s *Store) SweepJobAlerts(ctx context.Context, sw AlertSweep) (mails int, err error) {
	var after [16]byte
	for {
		rows, err := s.queries.DueSavedSearches(ctx, db.DueSavedSearchesParams{
			Frequency: sw.Frequency, AfterID: pgtype.UUID{Bytes: after, Valid: true}, Lim: sweepBatch,
		})
		if err != nil {
			return mails, interpretError(err)
		}
		for _, r := range rows {
			sent, err := s.alertSearch(ctx, r, sw)
			if err != nil {
				return mails, err
			}
			if sent {
				mails++
			}
		}
		if len(rows) < sweepBatch {
			return mails, nil
		}
		after = rows[len(rows)-1].ID.Bytes
	}
}

// alertSearch queues the alert of one saved search, if it has new jobs.
func (s *Store) alertSearch(ctx context.Context, r db.SavedSearch, sw AlertSweep) (bool, error) {
	q := newJobQuery(toSavedSearch(r).Filter)
	since := r.CreateTime.Time
	if cutoff := time.Now().Add(-sw.Within); cutoff.After(since) {
		since = cutoff
	}
	q.add("publish_time > %s", since)
	q.add("NOT EXISTS (SELECT 1 FROM job_alerts_sent a WHERE a.user_id = %s AND a.job_id = jobs.id)", r.UserID)
	sql := fmt.Sprintf("SELECT id FROM %s WHERE %s ORDER BY publish_time DESC, id DESC LIMIT %s",
		q.from, strings.Join(q.where, " AND "), q.arg(sw.MaxJobs))
	rows, err := s.db.Query(ctx, sql, q.args...)
	if err != nil {
		return false, interpretError(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[pgtype.UUID])
	if err != nil || len(ids) == 0 {
		return false, interpretError(err)
	}
	queued := false
	err = s.inTxJobs(ctx, func(tx *db.Queries) ([]domain.Task, error) {
		// Another of the user's searches may have sent some meanwhile.
		fresh, err := tx.RecordJobAlerts(ctx, db.RecordJobAlertsParams{UserID: r.UserID, JobIds: ids, SearchID: r.ID})
		if err != nil {
			return nil, err
		}
		task := domain.JobAlertDue{SearchID: uuidString(r.ID)}
		for _, id := range fresh {
			task.JobIDs = append(task.JobIDs, uuidString(id))
		}
		if len(task.JobIDs) == 0 {
			return nil, nil
		}
		queued = true
		return []domain.Task{task}, nil
	})
	return queued, err
}

// JobAlert is what an alert mail lists.
type JobAlert struct {
	User   domain.User
	Search domain.SavedSearch
	Jobs   []domain.Job
}

// JobAlert loads what the alert of a saved search lists: of jobIDs, those
// still open. ok is false when there is nothing to send: the search was
// deleted or paused, the account is inactive, or no job is still open.
func (s *Store) JobAlert(ctx context.Context, searchID string, jobIDs []string) (a JobAlert, ok bool, err error) {
	sid, valid := parseUUID(searchID)
	if !valid {
		return a, false, nil
	}
	row, err := s.queries.GetSavedSearchByID(ctx, sid)
	if err != nil {
		if err = interpretError(err); errors.Is(err, domain.ErrNotFound) {
			return a, false, nil
		}
		return a, false, err
	}
	a.Search = toSavedSearch(row)
	if a.Search.AlertsPaused {
		return a, false, nil
	}
	if a.User, err = s.GetUser(ctx, a.Search.UserID); err != nil {
		if errors.Is(err, domain.ErrNotFound) {
			return a, false, nil
		}
		return a, false, err
	}
	if !a.User.Active {
		return a, false, nil
	}
	ids := make([]pgtype.UUID, 0, len(jobIDs))
	for _, id := range jobIDs {
		if uid, ok := parseUUID(id); ok {
			ids = append(ids, uid)
		}
	}
	rows, err := s.queries.GetOpenJobs(ctx, ids)
	if err != nil {
		return a, false, interpretError(err)
	}
	for _, r := range rows {
		a.Jobs = append(a.Jobs, toJob(jobRow(r)))
	}
	return a, len(a.Jobs) > 0, nil
}
