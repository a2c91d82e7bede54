package service

import (
	"context"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/boardcache"
	"github.com/hiremebahamas/api/server/rpc"
	"github.com/hiremebahamas/api/store"
)

// A job stays open for defaultJobLifetime unless it says otherwise, and for
// at most maxJobLifetime after it is published.
const (
	defaultJobLifetime = 30 * 24 * time.Hour
	maxJobLifetime     = 2 * 365 * 24 * time.Hour
)

// JobServer implements hiremebahamas.v1.JobService.
type JobServer struct {
	hmbv1.UnimplementedJobServiceServer
	store *store.Store
	now   func() time.Time
	// counts keeps list totals and board stats for a few seconds: they are
	// the same for every visitor, cost a scan or a plan each, and a board's
	// counts a few seconds old serve as well as live ones.
	counts *expirable.LRU[string, []int32]
	// facets likewise, per query; the cached messages are only read.
	facets *expirable.LRU[string, *hmbv1.Facets]
	// openJobs and pages keep public answers for a few seconds. A job
	// written, through this instance or any other, is dropped from openJobs,
	// and starts a new generation of pages, any of which it may be on; a
	// write to jobs not known also starts a new generation of openJobs.
	openJobs      *boardcache.Cache[*hmbv1.Job]
	pages         *boardcache.Cache[*hmbv1.ListJobsResponse]
	written       atomic.Uint64
	unknownWrites atomic.Uint64
	// requireVerified keeps employers whose email is not verified to
	// drafts: they may not publish.
	requireVerified bool
}

// countsTTL is how stale list totals and board stats may be.
const countsTTL = 10 * time.Second

// NewJobServer returns the JobService of st. With requireVerifiedEmail,
// an employer publishes only once their email is verified.
func NewJobServer(st *store.Store, requireVerifiedEmail bool) *JobServer {
	s := &JobServer{store: st, now: time.Now, requireVerified: requireVerifiedEmail,
		counts: expirable.NewLRU[string, []int32](4096, nil, countsTTL),
		facets: expirable.NewLRU[string, *hmbv1.Facets](1024, nil, countsTTL),
	}
	s.openJobs = boardcache.New[*hmbv1.Job](2048, 16<<10, &s.unknownWrites)
	s.pages = boardcache.New[*hmbv1.ListJobsResponse](128, 48<<10, &s.written)
	return s
}

// changed marks that job id was written (created, when id is ""), once the
// write has committed.
func (s *JobServer) changed(id string) {
	s.written.Add(1)
	if id != "" {
		s.openJobs.Forget(id)
	}
}

// ChangedInDatabase forgets the answers a committed write to jobs, by
// anyone, may have made stale: those of the jobs in ids, or every answer
// when ids is nil (the jobs written are not known).
func (s *JobServer) ChangedInDatabase(ids []string) {
	if ids == nil {
		s.unknownWrites.Add(1)
	}
	s.written.Add(1)
	for _, id := range ids {
		s.openJobs.Forget(id)
	}
}

// readsPastCache reports whether the caller, by its token, may write jobs
// (employers and admins). Such callers read the database itself, so that
// no instance serves them an answer older than their own write, however
// late word of it reaches that instance; everyone else shares the cache.
func readsPastCache(ctx context.Context) bool {
	c, ok := auth.ClaimsFrom(ctx)
	return ok && (domain.Role(c.Role) == domain.RoleEmployer || rpc.IsAdmin(c))
}

var _ hmbv1.JobServiceServer = (*JobServer)(nil)

// visibleJob loads a job the caller may see: drafts only by their owner and
// admins; to anyone else a draft does not exist.
func (s *JobServer) visibleJob(ctx context.Context, id string) (domain.Job, error) {
	j, err := s.store.GetJob(ctx, id)
	if err != nil {
		return domain.Job{}, err
	}
	if j.Status == domain.JobDraft {
		hidden := domain.Errorf(domain.ErrNotFound, "JOB_NOT_FOUND", "no such job")
		if _, signedIn := auth.ClaimsFrom(ctx); !signedIn {
			return domain.Job{}, hidden
		}
		c, _, err := rpc.CurrentCaller(ctx, s.store)
		if err != nil {
			return domain.Job{}, err
		}
		if c.UserID != j.EmployerID && !rpc.IsAdmin(c) {
			return domain.Job{}, hidden
		}
	}
	return j, nil
}

// owned loads a job the caller must own (or administer) to change.
func (s *JobServer) owned(ctx context.Context, id string) (domain.Job, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return domain.Job{}, err
	}
	j, err := s.visibleJob(ctx, id)
	if err != nil {
		return domain.Job{}, err
	}
	if j.EmployerID != c.UserID && !rpc.IsAdmin(c) {
		return domain.Job{}, domain.Errorf(domain.ErrPermissionDenied, "NOT_JOB_OWNER", "only the employer who posted this job may do that")
	}
	return j, nil
}

// mayPublish refuses an employer whose email is not verified, when the
// service requires it. Admins act for others and are not held to it.
func (s *JobServer) mayPublish(ctx context.Context) error {
	if !s.requireVerified {
		return nil
	}
	c, u, err := rpc.CurrentCaller(ctx, s.store)
	if err != nil {
		return err
	}
	if rpc.IsAdmin(c) || u.EmailVerified {
		return nil
	}
	return domain.Errorf(domain.ErrFailedPrecondition, "EMAIL_NOT_VERIFIED",
		"verify your email before publishing a job: follow the link mailed to you, or ask for a new one (POST /api/v1/auth/email-verification); drafts can be saved meanwhile")
}

func (s *JobServer) CreateJob(ctx context.Context, req *hmbv1.CreateJobRequest) (*hmbv1.Job, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	j, err := s.newJob(c.UserID, req.GetJob())
	if err != nil {
		return nil, err
	}
	if j.Status == domain.JobOpen {
		if err := s.mayPublish(ctx); err != nil {
			return nil, err
		}
	}
	if j.Company == "" {
		employer, err := s.store.GetUser(ctx, c.UserID)
		if err != nil {
			return nil, err
		}
		j.Company = employer.CompanyName
	}
	if j.Company == "" {
		return nil, invalidField("job.company", "required when your profile has no company_name")
	}
	created, _, err := s.store.CreateJob(ctx, j, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	s.changed("")
	return jobToProto(created), nil
}

// GetJob serves open jobs from the board cache and reads the others each
// time: closed and filled jobs, public, and drafts, seen only by their
// owner and admins. Employers and admins always get the job as stored.
func (s *JobServer) GetJob(ctx context.Context, req *hmbv1.GetJobRequest) (*hmbv1.Job, error) {
	if readsPastCache(ctx) {
		j, err := s.visibleJob(ctx, req.GetId())
		if err != nil {
			return nil, err
		}
		return jobToProto(j), nil
	}
	cached, ok, at := s.openJobs.Lookup(ctx, req.GetId())
	if ok {
		return cached, nil
	}
	j, err := s.visibleJob(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	pj := jobToProto(j)
	if j.Status == domain.JobOpen {
		s.openJobs.Add(ctx, at, pj)
	}
	return pj, nil
}

func (s *JobServer) UpdateJob(ctx context.Context, req *hmbv1.UpdateJobRequest) (*hmbv1.Job, error) {
	in := req.GetJob()
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, invalidField("update_mask", "name at least one field to change")
	}
	var fields []string
	for _, p := range paths {
		switch {
		case p == "status" || p == "expire_time":
		case p == "etag" || p == "id":
			// Identify the job and its version; not changes.
		case strings.HasPrefix(p, "salary."):
			fields = append(fields, "salary")
		case slices.Contains(jobMutableFields, p):
			fields = append(fields, p)
		default:
			return nil, invalidField("update_mask", "unknown or read-only field "+quote(p))
		}
	}
	j, err := s.owned(ctx, in.GetId())
	if err != nil {
		return nil, err
	}
	expected := j.Version
	if in.GetEtag() != "" {
		v, ok := parseEtag(in.GetEtag())
		if !ok {
			return nil, invalidField("job.etag", "not an etag this service issued")
		}
		if v != j.Version {
			return nil, domain.Errorf(domain.ErrAborted, "ETAG_MISMATCH", "the job changed since it was read; fetch it again")
		}
	}
	if err := applyJobFields(&j, in, fields); err != nil {
		return nil, err
	}
	if slices.Contains(paths, "expire_time") {
		if in.GetExpireTime() == nil {
			return nil, invalidField("job.expire_time", "required when named in update_mask")
		}
		j.ExpireTime = in.GetExpireTime().AsTime()
		if !j.PublishTime.IsZero() && !j.ExpireTime.After(j.PublishTime) {
			return nil, invalidField("job.expire_time", "must be after publish_time")
		}
	}
	if slices.Contains(paths, "status") {
		to := jobStatusName(in.GetStatus())
		if to != j.Status {
			if !slices.Contains(jobMoves[j.Status], to) {
				return nil, domain.Errorf(domain.ErrFailedPrecondition, "INVALID_STATUS_CHANGE", "job.status: a %s job cannot become %s", j.Status, to)
			}
			j.Status = to
			if to == domain.JobOpen {
				if err := s.mayPublish(ctx); err != nil {
					return nil, err
				}
				if err := s.publish(&j); err != nil {
					return nil, err
				}
			}
		}
	}
	if j.Company == "" {
		return nil, invalidField("job.company", "cannot be empty")
	}
	if err := s.checkLifetime(j); err != nil {
		return nil, err
	}
	updated, err := s.store.UpdateJob(ctx, j, expected)
	if err != nil {
		return nil, err
	}
	s.changed(updated.ID)
	return jobToProto(updated), nil
}

func (s *JobServer) DeleteJob(ctx context.Context, req *hmbv1.DeleteJobRequest) (*emptypb.Empty, error) {
	if _, err := s.owned(ctx, req.GetId()); err != nil {
		return nil, err
	}
	if err := s.store.DeleteJob(ctx, req.GetId()); err != nil {
		return nil, err
	}
	s.changed(req.GetId())
	return &emptypb.Empty{}, nil
}

func (s *JobServer) GetJobStats(ctx context.Context, _ *hmbv1.GetJobStatsRequest) (*hmbv1.JobStats, error) {
	c, ok := s.counts.Get("stats")
	if !ok {
		st, err := s.store.JobStats(ctx)
		if err != nil {
			return nil, err
		}
		c = []int32{int32(st.ActiveJobs), int32(st.CompaniesHiring), int32(st.NewThisWeek)}
		s.counts.Add("stats", c)
	}
	return &hmbv1.JobStats{ActiveJobs: c[0], CompaniesHiring: c[1], NewThisWeek: c[2]}, nil
}
