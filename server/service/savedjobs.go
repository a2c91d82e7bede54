package service

import (
	"context"
	"time"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
)

func (s *JobServer) SaveJob(ctx context.Context, req *hmbv1.SaveJobRequest) (*emptypb.Empty, error) {
	c, err := rpc.Caller(ctx)
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
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.store.UnsaveJob(ctx, c.UserID, req.GetJobId()); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *JobServer) ListSavedJobs(ctx context.Context, req *hmbv1.ListSavedJobsRequest) (*hmbv1.ListSavedJobsResponse, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	p, err := newPage(req.GetPageToken(), req.GetPageSize(), "saved:"+c.UserID)
	if err != nil {
		return nil, err
	}
	jobs, saved, err := s.store.ListSavedJobs(ctx, c.UserID, p.timeCursor(), p.limit())
	if err != nil {
		return nil, err
	}
	// Saved jobs page by when they were saved.
	type savedJob struct {
		job domain.Job
		at  time.Time
	}
	list := make([]savedJob, len(jobs))
	for i := range jobs {
		list[i] = savedJob{jobs[i], saved[i]}
	}
	resp := &hmbv1.ListSavedJobsResponse{}
	list, resp.NextPageToken = pageOf(p, list, func(j savedJob) pageToken { return pageToken{Time: j.at, ID: j.job.ID} })
	resp.Jobs = make([]*hmbv1.Job, 0, len(list))
	for _, j := range list {
		resp.Jobs = append(resp.Jobs, jobToProto(j.job))
	}
	return resp, nil
}
