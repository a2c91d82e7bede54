package store

import (
	"context"
	"errors"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/gen/db"
)

func toApplication(a db.Application, jobTitle string) domain.Application {
	return domain.Application{
		ID: uuidString(a.ID), JobID: uuidString(a.JobID), JobTitle: jobTitle, ApplicantID: uuidString(a.ApplicantID),
		CoverLetter: a.CoverLetter, ResumeURL: a.ResumeUrl, Status: a.Status,
		CreateTime: a.CreateTime.Time, UpdateTime: a.UpdateTime.Time,
	}
}

func applicationNotFound() error {
	return domain.Errorf(domain.ErrNotFound, "APPLICATION_NOT_FOUND", "no such application")
}

// CreateApplication stores an application and, in the same transaction,
// asks for the job's employer (a.EmployerID) to be told of it; a second one
// by the same applicant to the same job fails with ErrAlreadyExists,
// ALREADY_APPLIED, and queues nothing.
func (s *Store) CreateApplication(ctx context.Context, a domain.Application) (domain.Application, error) {
	job, ok1 := parseUUID(a.JobID)
	applicant, ok2 := parseUUID(a.ApplicantID)
	if !ok1 || !ok2 {
		return domain.Application{}, jobNotFound()
	}
	var created domain.Application
	err := s.inTxJobs(ctx, func(q *db.Queries) ([]domain.Task, error) {
		row, err := q.CreateApplication(ctx, db.CreateApplicationParams{
			JobID: job, ApplicantID: applicant, CoverLetter: a.CoverLetter, ResumeUrl: a.ResumeURL,
		})
		if err != nil {
			if err = interpretError(err); errors.Is(err, domain.ErrAlreadyExists) {
				return nil, domain.Errorf(domain.ErrAlreadyExists, "ALREADY_APPLIED", "you have already applied to this job")
			}
			return nil, err
		}
		created = toApplication(row, a.JobTitle)
		created.EmployerID = a.EmployerID
		return []domain.Task{domain.ApplicationsReceived{EmployerID: a.EmployerID}}, nil
	})
	if err != nil {
		return domain.Application{}, err
	}
	return created, nil
}

// GetApplication returns an application with its job's owner and title.
func (s *Store) GetApplication(ctx context.Context, id string) (domain.Application, error) {
	uid, ok := parseUUID(id)
	if !ok {
		return domain.Application{}, applicationNotFound()
	}
	r, err := s.queries.GetApplication(ctx, uid)
	if err != nil {
		return domain.Application{}, notFoundAs(interpretError(err), applicationNotFound())
	}
	a := toApplication(db.Application{ID: r.ID, JobID: r.JobID, ApplicantID: r.ApplicantID, CoverLetter: r.CoverLetter,
		ResumeUrl: r.ResumeUrl, Status: r.Status, CreateTime: r.CreateTime, UpdateTime: r.UpdateTime}, r.JobTitle)
	a.EmployerID = uuidString(r.EmployerID)
	return a, nil
}

// MoveApplication changes an application's status from `from` to `to`,
// failing with ErrAborted if it is no longer at `from`. A move by the
// employer queues, in the same transaction, the applicant's notice; a
// withdrawal, which is the applicant's own doing, does not.
func (s *Store) MoveApplication(ctx context.Context, a domain.Application, to string) (domain.Application, error) {
	uid, ok := parseUUID(a.ID)
	if !ok {
		return domain.Application{}, applicationNotFound()
	}
	var moved domain.Application
	err := s.inTxJobs(ctx, func(q *db.Queries) ([]domain.Task, error) {
		row, err := q.SetApplicationStatus(ctx, db.SetApplicationStatusParams{ID: uid, Status: to, FromStatus: a.Status})
		if err != nil {
			if err = interpretError(err); errors.Is(err, domain.ErrNotFound) {
				return nil, domain.Errorf(domain.ErrAborted, "APPLICATION_CHANGED", "the application changed meanwhile; fetch it again")
			}
			return nil, err
		}
		moved = toApplication(row, a.JobTitle)
		moved.EmployerID = a.EmployerID
		if to == domain.AppWithdrawn {
			return nil, nil
		}
		return []domain.Task{domain.ApplicationMoved{ApplicationID: moved.ID, Status: to}}, nil
	})
	if err != nil {
		return domain.Application{}, err
	}
	return moved, nil
}

// ListJobApplications pages a job's applications, newest first.
func (s *Store) ListJobApplications(ctx context.Context, jobID string, after *domain.PageCursor, limit int) ([]domain.Application, error) {
	jid, ok := parseUUID(jobID)
	if !ok {
		return nil, jobNotFound()
	}
	p, err := timePage(after, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.queries.ListJobApplications(ctx, db.ListJobApplicationsParams{JobID: jid, AfterTime: p.After, AfterID: p.AfterID, PageLimit: p.Limit})
	if err != nil {
		return nil, interpretError(err)
	}
	out := make([]domain.Application, len(rows))
	for i, r := range rows {
		out[i] = listedApplication(r)
	}
	return out, nil
}

// listedApplication converts a row of either application list; sqlc makes
// a type per query, with the same fields.
func listedApplication(r db.ListJobApplicationsRow) domain.Application {
	return toApplication(db.Application{ID: r.ID, JobID: r.JobID, ApplicantID: r.ApplicantID, CoverLetter: r.CoverLetter,
		ResumeUrl: r.ResumeUrl, Status: r.Status, CreateTime: r.CreateTime, UpdateTime: r.UpdateTime}, r.JobTitle)
}

// ListMyApplications pages an applicant's applications, newest first.
func (s *Store) ListMyApplications(ctx context.Context, applicantID string, after *domain.PageCursor, limit int) ([]domain.Application, error) {
	uid, ok := parseUUID(applicantID)
	if !ok {
		return nil, userNotFound()
	}
	p, err := timePage(after, limit)
	if err != nil {
		return nil, err
	}
	rows, err := s.queries.ListMyApplications(ctx, db.ListMyApplicationsParams{ApplicantID: uid, AfterTime: p.After, AfterID: p.AfterID, PageLimit: p.Limit})
	if err != nil {
		return nil, interpretError(err)
	}
	out := make([]domain.Application, len(rows))
	for i, r := range rows {
		out[i] = listedApplication(db.ListJobApplicationsRow(r))
	}
	return out, nil
}
