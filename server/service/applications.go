package service

import (
	"context"
	"strings"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
)

func (s *JobServer) ApplyToJob(ctx context.Context, req *hmbv1.ApplyToJobRequest) (*hmbv1.Application, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkFreeText("cover_letter", req.GetCoverLetter()); err != nil {
		return nil, err
	}
	j, err := s.visibleJob(ctx, req.GetJobId())
	if err != nil {
		return nil, err
	}
	if j.EmployerID == c.UserID {
		return nil, domain.Errorf(domain.ErrFailedPrecondition, "OWN_JOB", "you cannot apply to your own job")
	}
	if now := s.now(); j.Status != domain.JobOpen || !j.ExpireTime.After(now) {
		return nil, domain.Errorf(domain.ErrFailedPrecondition, "JOB_NOT_OPEN", "%s", notOpen(j.Status))
	}
	a, err := s.store.CreateApplication(ctx, domain.Application{
		JobID: j.ID, JobTitle: j.Title, ApplicantID: c.UserID, EmployerID: j.EmployerID,
		CoverLetter: strings.TrimSpace(req.GetCoverLetter()), ResumeURL: req.GetResumeUrl(),
	})
	if err != nil {
		return nil, err
	}
	return applicationToProto(a), nil
}

// notOpen says why a job of the status takes no applications; an open one
// that takes none has expired.
func notOpen(status string) string {
	switch status {
	case domain.JobOpen:
		return "this job has expired and takes no more applications"
	case domain.JobClosed:
		return "this job is closed and takes no more applications"
	case domain.JobFilled:
		return "this job has been filled and takes no more applications"
	}
	return "this job is not taking applications"
}

func (s *JobServer) ListJobApplications(ctx context.Context, req *hmbv1.ListJobApplicationsRequest) (*hmbv1.ListApplicationsResponse, error) {
	if _, err := s.owned(ctx, req.GetJobId()); err != nil {
		return nil, err
	}
	return listApplications(req.GetPageToken(), req.GetPageSize(), "job:"+req.GetJobId(), func(after *domain.PageCursor, limit int) ([]domain.Application, error) {
		return s.store.ListJobApplications(ctx, req.GetJobId(), after, limit)
	})
}

func (s *JobServer) ListMyApplications(ctx context.Context, req *hmbv1.ListMyApplicationsRequest) (*hmbv1.ListApplicationsResponse, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	return listApplications(req.GetPageToken(), req.GetPageSize(), "me:"+c.UserID, func(after *domain.PageCursor, limit int) ([]domain.Application, error) {
		return s.store.ListMyApplications(ctx, c.UserID, after, limit)
	})
}

// listApplications pages applications newest first with a token bound to
// scope.
func listApplications(token string, requested int32, scope string, list func(*domain.PageCursor, int) ([]domain.Application, error)) (*hmbv1.ListApplicationsResponse, error) {
	p, err := newPage(token, requested, scope)
	if err != nil {
		return nil, err
	}
	apps, err := list(p.timeCursor(), p.limit())
	if err != nil {
		return nil, err
	}
	resp := &hmbv1.ListApplicationsResponse{}
	apps, resp.NextPageToken = pageOf(p, apps, func(a domain.Application) pageToken { return pageToken{Time: a.CreateTime, ID: a.ID} })
	resp.Applications = make([]*hmbv1.Application, 0, len(apps))
	for _, a := range apps {
		resp.Applications = append(resp.Applications, applicationToProto(a))
	}
	return resp, nil
}

func (s *JobServer) UpdateApplicationStatus(ctx context.Context, req *hmbv1.UpdateApplicationStatusRequest) (*hmbv1.Application, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.store.GetApplication(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if a.EmployerID != c.UserID && !rpc.IsAdmin(c) {
		if a.ApplicantID == c.UserID {
			return nil, domain.Errorf(domain.ErrPermissionDenied, "NOT_JOB_OWNER", "only the employer moves an application; applicants may withdraw")
		}
		return nil, domain.Errorf(domain.ErrNotFound, "APPLICATION_NOT_FOUND", "no such application")
	}
	to := appStatusName(req.GetStatus())
	if !domain.CanMove(a.Status, to) {
		return nil, domain.Errorf(domain.ErrFailedPrecondition, "INVALID_TRANSITION", "status: an application that is %s cannot become %s", a.Status, to)
	}
	moved, err := s.store.MoveApplication(ctx, a, to)
	if err != nil {
		return nil, err
	}
	return applicationToProto(moved), nil
}

func (s *JobServer) WithdrawApplication(ctx context.Context, req *hmbv1.WithdrawApplicationRequest) (*hmbv1.Application, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	a, err := s.store.GetApplication(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	if a.ApplicantID != c.UserID {
		return nil, domain.Errorf(domain.ErrNotFound, "APPLICATION_NOT_FOUND", "no such application")
	}
	if !domain.ApplicationOpen(a.Status) {
		return nil, domain.Errorf(domain.ErrFailedPrecondition, "APPLICATION_CLOSED", "an application that is %s cannot be withdrawn", a.Status)
	}
	moved, err := s.store.MoveApplication(ctx, a, domain.AppWithdrawn)
	if err != nil {
		return nil, err
	}
	return applicationToProto(moved), nil
}
