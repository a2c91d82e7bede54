package store

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

// jobRow is the column list every job query returns. sqlc makes a struct per
// query; they are identical and convert to this one.
type jobRow = db.GetJobRow

func toJob(r jobRow) domain.Job {
	return domain.Job{
		ID: uuidString(r.ID), EmployerID: uuidString(r.EmployerID), Company: r.Company, Title: r.Title,
		Description: r.Description, Requirements: r.Requirements, Benefits: r.Benefits, Category: r.Category,
		EmploymentType: r.EmploymentType, Island: r.Island, Location: r.Location, Remote: r.Remote,
		Salary: domain.Salary{Min: r.SalaryMin, Max: r.SalaryMax, Currency: r.SalaryCurrency, Period: r.SalaryPeriod},
		Skills: r.Skills, Status: r.Status, PublishTime: r.PublishTime.Time, ExpireTime: r.ExpireTime.Time,
		CreateTime: r.CreateTime.Time, UpdateTime: r.UpdateTime.Time, Version: r.Version,
	}
}

func timestamp(t time.Time) pgtype.Timestamptz {
	return pgtype.Timestamptz{Time: t, Valid: !t.IsZero()}
}

func jobNotFound() error { return domain.Errorf(domain.ErrNotFound, "JOB_NOT_FOUND", "no such job") }

// CreateJob stores a job. With a request id, a retry of the same request
// returns the job the first one stored, and created is false.
func (s *Store) CreateJob(ctx context.Context, j domain.Job, requestID string) (job domain.Job, created bool, err error) {
	employer, ok := parseUUID(j.EmployerID)
	if !ok {
		return domain.Job{}, false, userNotFound()
	}
	var request pgtype.UUID
	if requestID != "" {
		if request, ok = parseUUID(requestID); !ok {
			return domain.Job{}, false, domain.Errorf(domain.ErrInvalid, "INVALID_REQUEST_ID", "request_id: must be a UUID")
		}
	}
	row, err := s.queries.CreateJob(ctx, db.CreateJobParams{
		EmployerID: employer, RequestID: request, Company: j.Company, Title: j.Title, Description: j.Description,
		Requirements: j.Requirements, Benefits: j.Benefits, Category: j.Category, EmploymentType: j.EmploymentType,
		Island: j.Island, Location: j.Location, Remote: j.Remote, SalaryMin: j.Salary.Min, SalaryMax: j.Salary.Max,
		SalaryCurrency: j.Salary.Currency, SalaryPeriod: j.Salary.Period, Skills: textArray(j.Skills), Status: j.Status,
		PublishTime: timestamp(j.PublishTime), ExpireTime: timestamp(j.ExpireTime),
	})
	if err == nil {
		return toJob(jobRow(row)), true, nil
	}
	if err = interpretError(err); !errors.Is(err, domain.ErrNotFound) || !request.Valid {
		return domain.Job{}, false, err
	}
	// The request id was seen before: return what that request created.
	prev, err := s.queries.GetJobByRequest(ctx, db.GetJobByRequestParams{EmployerID: employer, RequestID: request})
	if err != nil {
		return domain.Job{}, false, interpretError(err)
	}
	return toJob(jobRow(prev)), false, nil
}

// GetJob returns a job in any status.
func (s *Store) GetJob(ctx context.Context, id string) (domain.Job, error) {
	uid, ok := parseUUID(id)
	if !ok {
		return domain.Job{}, jobNotFound()
	}
	row, err := s.queries.GetJob(ctx, uid)
	if err != nil {
		return domain.Job{}, notFoundAs(interpretError(err), jobNotFound())
	}
	return toJob(row), nil
}

// UpdateJob writes j if the stored job is still at expectedVersion, and
// fails with ErrAborted, reason ETAG_MISMATCH, if it has changed since.
func (s *Store) UpdateJob(ctx context.Context, j domain.Job, expectedVersion int32) (domain.Job, error) {
	uid, ok := parseUUID(j.ID)
	if !ok {
		return domain.Job{}, jobNotFound()
	}
	row, err := s.queries.UpdateJob(ctx, db.UpdateJobParams{
		ID: uid, ExpectedVersion: expectedVersion, Company: j.Company, Title: j.Title, Description: j.Description,
		Requirements: j.Requirements, Benefits: j.Benefits, Category: j.Category, EmploymentType: j.EmploymentType,
		Island: j.Island, Location: j.Location, Remote: j.Remote, SalaryMin: j.Salary.Min, SalaryMax: j.Salary.Max,
		SalaryCurrency: j.Salary.Currency, SalaryPeriod: j.Salary.Period, Skills: textArray(j.Skills), Status: j.Status,
		PublishTime: timestamp(j.PublishTime), ExpireTime: timestamp(j.ExpireTime),
	})
	if err != nil {
		if err = interpretError(err); errors.Is(err, domain.ErrNotFound) {
			if _, getErr := s.GetJob(ctx, j.ID); getErr == nil {
				return domain.Job{}, domain.Errorf(domain.ErrAborted, "ETAG_MISMATCH", "the job changed since it was read; fetch it again")
			}
			return domain.Job{}, jobNotFound()
		}
		return domain.Job{}, err
	}
	return toJob(jobRow(row)), nil
}

// DeleteJob removes a job, its applications and bookmarks.
func (s *Store) DeleteJob(ctx context.Context, id string) error {
	uid, ok := parseUUID(id)
	if !ok {
		return jobNotFound()
	}
	n, err := s.queries.DeleteJob(ctx, uid)
	if err != nil {
		return interpretError(err)
	}
	if n == 0 {
		return jobNotFound()
	}
	return nil
}

// JobStats counts the board.
func (s *Store) JobStats(ctx context.Context) (domain.JobStats, error) {
	r, err := s.queries.JobStats(ctx)
	if err != nil {
		return domain.JobStats{}, interpretError(err)
	}
	return domain.JobStats{ActiveJobs: int(r.ActiveJobs), CompaniesHiring: int(r.CompaniesHiring), NewThisWeek: int(r.NewThisWeek)}, nil
}

// SaveJob bookmarks a job for a user; saving twice is a no-op.
func (s *Store) SaveJob(ctx context.Context, userID, jobID string) error {
	uid, ok1 := parseUUID(userID)
	jid, ok2 := parseUUID(jobID)
	if !ok1 || !ok2 {
		return jobNotFound()
	}
	err := interpretError(s.queries.SaveJob(ctx, db.SaveJobParams{UserID: uid, JobID: jid}))
	if errors.Is(err, domain.ErrFailedPrecondition) { // the job does not exist
		return jobNotFound()
	}
	return err
}

// UnsaveJob removes a bookmark; removing a missing one is a no-op.
func (s *Store) UnsaveJob(ctx context.Context, userID, jobID string) error {
	uid, ok1 := parseUUID(userID)
	jid, ok2 := parseUUID(jobID)
	if !ok1 || !ok2 {
		return nil
	}
	return interpretError(s.queries.UnsaveJob(ctx, db.UnsaveJobParams{UserID: uid, JobID: jid}))
}

// ListSavedJobs returns a user's bookmarked jobs, most recently saved first,
// each with the time it was saved (the page cursor).
func (s *Store) ListSavedJobs(ctx context.Context, userID string, after *domain.PageCursor, limit int) ([]domain.Job, []time.Time, error) {
	uid, ok := parseUUID(userID)
	if !ok {
		return nil, nil, userNotFound()
	}
	p, err := timePage(after, limit)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.queries.ListSavedJobs(ctx, db.ListSavedJobsParams{UserID: uid, AfterTime: p.After, AfterID: p.AfterID, PageLimit: p.Limit})
	if err != nil {
		return nil, nil, interpretError(err)
	}
	jobs, saved := make([]domain.Job, len(rows)), make([]time.Time, len(rows))
	for i, r := range rows {
		jobs[i] = toJob(jobRow{
			ID: r.ID, EmployerID: r.EmployerID, RequestID: r.RequestID, Company: r.Company, Title: r.Title,
			Description: r.Description, Requirements: r.Requirements, Benefits: r.Benefits, Category: r.Category,
			EmploymentType: r.EmploymentType, Island: r.Island, Location: r.Location, Remote: r.Remote,
			SalaryMin: r.SalaryMin, SalaryMax: r.SalaryMax, SalaryCurrency: r.SalaryCurrency, SalaryPeriod: r.SalaryPeriod,
			Skills: r.Skills, Status: r.Status, PublishTime: r.PublishTime, ExpireTime: r.ExpireTime,
			CreateTime: r.CreateTime, UpdateTime: r.UpdateTime, Version: r.Version,
		})
		saved[i] = r.SavedTime.Time
	}
	return jobs, saved, nil
}
