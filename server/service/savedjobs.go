package server

import (
	"context"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

func (s *JobServer) SaveJob(ctx context.Context, req *hmbv1.SaveJobRequest) (*emptypb.Empty, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	j, err := s.visibleJob(ctx, req.GetJobId())
	if err != nil {
		return nil, err
	}
	if err := s.store.SaveJob(ctx, c.UserID, j.ID); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *JobServer) UnsaveJob(ctx context.Context, req *hmbv1.UnsaveJobRequest) (*emptypb.Empty, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.UnsaveJob(ctx, c.UserID, req.GetJobId()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *JobServer) ListSavedJobs(ctx context.Context, req *hmbv1.ListSavedJobsRequest) (*hmbv1.ListSavedJobsResponse, error) {
	c, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	scope := "saved:" + c.UserID
	var after *domain.PageCursor
	if req.GetPageToken() != "" {
		t, err := decodePageToken(req.GetPageToken(), scope)
		if err != nil {
			return nil, err
		}
		after = &domain.PageCursor{Time: t.Time, ID: t.ID}
	}
	size := pageSize(req.GetPageSize())
	jobs, saved, err := s.store.ListSavedJobs(ctx, c.UserID, after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &hmbv1.ListSavedJobsResponse{Jobs: make([]*hmbv1.Job, 0, min(len(jobs), size))}
	if len(jobs) > size {
		jobs = jobs[:size]
		resp.NextPageToken = pageToken{Time: saved[size-1], ID: jobs[size-1].ID, Query: queryDigest(scope)}.encode()
	}
	for _, j := range jobs {
		resp.Jobs = append(resp.Jobs, jobToProto(j))
	}
	return resp, nil
}
