package service

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/interceptor"
	"github.com/hiremebahamas/api/server/ratelimit"
	"github.com/hiremebahamas/api/server/rpc"
	"github.com/hiremebahamas/api/store"
)

// requestChain is the server's unary interceptor chain, with a current
// schema, no rate limits and a signing key of its own, and an employer's
// access token it accepts.
func requestChain(f *testing.F) (grpc.UnaryServerInterceptor, string) {
	f.Helper()
	tokens, err := auth.NewTokens(auth.TokenConfig{Issuer: "fuzz", Audience: "fuzz", TTL: time.Hour,
		Current: auth.KeyFromSecret("fuzz-signing-key-0123456789abcdefghijkl")})
	if err != nil {
		f.Fatal(err)
	}
	unary, _, err := interceptor.Chain(interceptor.Options{
		Log: slog.New(slog.DiscardHandler), Methods: fuzzedMethods, RequestTimeout: time.Minute, Schema: currentSchema{},
		Tokens: tokens, Accounts: activeEmployers{}, Limits: &ratelimit.Limits{},
	})
	if err != nil {
		f.Fatal(err)
	}
	token, _, err := tokens.Issue("3f1c2e3a-5b6d-4e7f-8a9b-0c1d2e3f4a5b", string(domain.RoleEmployer))
	if err != nil {
		f.Fatal(err)
	}
	return interceptor.ChainUnary(unary), token
}

// fuzzedMethods are the rows of the methods table of the RPCs fuzzed here.
var fuzzedMethods = rpc.Methods{
	hmbv1.JobService_ListJobs_FullMethodName:  {Access: rpc.Anyone, PublicRead: true},
	hmbv1.JobService_CreateJob_FullMethodName: {Access: rpc.Employers},
}

// currentSchema says the schema is current.
type currentSchema struct{}

func (currentSchema) EnsureSchema(context.Context) error { return nil }

// activeEmployers answers, for the chain's access checks, that every account
// is an active employer: the fuzz targets are about what requests hold, not
// who sends them.
type activeEmployers struct{}

func (activeEmployers) GetUser(_ context.Context, id string) (domain.User, error) {
	return domain.User{ID: id, Role: domain.RoleEmployer, Active: true}, nil
}

// callChain runs req through chain to handler as a call to method, and checks
// that a refusal is INVALID_ARGUMENT: never INTERNAL (a panic recovered,
// say) or anything else.
func callChain(t *testing.T, chain grpc.UnaryServerInterceptor, ctx context.Context, method string, req proto.Message, handler grpc.UnaryHandler) error {
	t.Helper()
	_, err := chain(ctx, req, &grpc.UnaryServerInfo{FullMethod: method}, handler)
	if err != nil && status.Code(err) != codes.InvalidArgument {
		t.Fatalf("%v refused with %v; want INVALID_ARGUMENT", req, err)
	}
	return err
}

// FuzzListJobsRequest sends job searches built from fuzzed values through
// the interceptor chain (text checks, protovalidate) and the service's own
// checks. Refusals are INVALID_ARGUMENT; what is accepted is in range and
// clean; and legitimate text in q is never refused.
func FuzzListJobsRequest(f *testing.F) {
	chain, _ := requestChain(f)
	// A search that is fine, and ones with one thing wrong each.
	f.Add("bartender nassau", []byte{1, 3}, int32(1), int32(2), uint8(2), 30000.0, int32(7), "3f1c2e3a-5b6d-4e7f-8a9b-0c1d2e3f4a5b", "", int32(20), "", true)
	f.Add("' OR 1=1 --", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "salary", int32(0), "", false)
	f.Add(":*&|!()<->'\\", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(100), "", false)
	f.Add("chef\x00", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(0), "", false)
	f.Add("caf\xc3", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(0), "", false)
	f.Add("chef", []byte{18}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(0), "", false)
	f.Add("chef", []byte{}, int32(-1), int32(7), uint8(0), 0.0, int32(0), "", "", int32(0), "", false)
	f.Add("chef", []byte{}, int32(0), int32(0), uint8(0), -1.0, int32(366), "", "", int32(0), "", false)
	f.Add("chef", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "not-a-uuid", "cheapest", int32(0), "", false)
	f.Add("chef", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(101), "", false)
	f.Add("chef", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(-1), "", false)
	f.Add("chef", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(0), "garbage", false)
	f.Add("chef", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "", int32(0), strings.Repeat("A", 513), false)
	f.Add("  ", []byte{}, int32(0), int32(0), uint8(0), 0.0, int32(0), "", "relevance", int32(0), "", false)
	f.Fuzz(func(t *testing.T, q string, islands []byte, category, employment int32, remote uint8, salaryMin float64, days int32,
		employerID, orderBy string, pageSize int32, pageToken string, facets bool) {
		req := &hmbv1.ListJobsRequest{Q: q, SalaryMin: salaryMin, PostedWithinDays: days, EmployerId: employerID,
			OrderBy: orderBy, PageSize: pageSize, PageToken: pageToken, Facets: facets}
		for _, i := range islands {
			req.Island = append(req.Island, hmbv1.Island(int8(i)))
		}
		if category != 0 {
			req.Category = []hmbv1.JobCategory{hmbv1.JobCategory(category)}
		}
		if employment != 0 {
			req.EmploymentType = []hmbv1.EmploymentType{hmbv1.EmploymentType(employment)}
		}
		if remote > 0 {
			r := remote%2 == 0
			req.Remote = &r
		}
		plan := func(_ context.Context, r any) (any, error) {
			p, err := planJobList(r.(*hmbv1.ListJobsRequest))
			if err == nil {
				checkJobListPlan(t, r.(*hmbv1.ListJobsRequest), p)
			}
			return p, err
		}
		callChain(t, chain, context.Background(), hmbv1.JobService_ListJobs_FullMethodName, req, plan)

		// The words alone, in range, are a search anyone may make.
		if q = strings.TrimSpace(q); utf8.ValidString(q) && !strings.ContainsRune(q, 0) && utf8.RuneCountInString(q) <= 256 {
			plain := &hmbv1.ListJobsRequest{Q: q, PageSize: max(0, min(pageSize, 100))}
			if err := callChain(t, chain, context.Background(), hmbv1.JobService_ListJobs_FullMethodName, plain, plan); err != nil {
				t.Fatalf("%v refused: %v", plain, err)
			}
		}
	})
}

func checkJobListPlan(t *testing.T, req *hmbv1.ListJobsRequest, p jobListPlan) {
	t.Helper()
	f := p.query.Filter
	switch {
	case p.page.size < 1 || p.page.size > maxPageSize:
		t.Fatalf("page size %d from %d", p.page.size, req.PageSize)
	case p.query.Order != domain.OrderNewest && p.query.Order != domain.OrderRelevance && p.query.Order != domain.OrderSalary:
		t.Fatalf("order %q", p.query.Order)
	case p.query.Order == domain.OrderRelevance && store.TSQuery(f.Query) == "":
		t.Fatalf("relevance order for %q, which has no words", f.Query)
	case !cleanText(f.Query) || !cleanText(f.EmployerID):
		t.Fatalf("text the database cannot take was accepted: %q %q", f.Query, f.EmployerID)
	case f.SalaryMin < 0 || f.SalaryMin > 1e8 || f.PostedWithinDays < 0 || f.PostedWithinDays > 365:
		t.Fatalf("out of range: salary_min %v, posted_within_days %d", f.SalaryMin, f.PostedWithinDays)
	case (p.after != nil) != (req.PageToken != "") || p.after != nil && p.after.ID == "":
		t.Fatalf("page token %q gave cursor %+v", req.PageToken, p.after)
	}
	for _, names := range []struct {
		prefix string
		values map[string]int32
		got    []string
	}{
		{"ISLAND_", hmbv1.Island_value, f.Islands}, {"JOB_CATEGORY_", hmbv1.JobCategory_value, f.Categories},
		{"EMPLOYMENT_TYPE_", hmbv1.EmploymentType_value, f.EmploymentTypes},
	} {
		for _, name := range names.got {
			if v, ok := names.values[names.prefix+name]; !ok || v == 0 {
				t.Fatalf("filter on %s%s, which is not a value", names.prefix, name)
			}
		}
	}
}

// FuzzCreateJobRequest posts jobs built from fuzzed values, as an employer,
// through the interceptor chain and the service's own checks. Refusals are
// INVALID_ARGUMENT; an accepted job is complete, in range and clean, its
// lines and text readable as stored; and a job with a legitimate title and
// required fields is never refused.
func FuzzCreateJobRequest(f *testing.F) {
	chain, token := requestChain(f)
	ctx := metadata.NewIncomingContext(context.Background(), metadata.Pairs("authorization", "Bearer "+token))
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &JobServer{now: func() time.Time { return now }}
	// A job that is fine (open, expiring a second from now), and ones with
	// one thing wrong each.
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 30000.0, 38000.0, "", int32(4), "mixology,rum", int64(1772366401), "")
	f.Add("Bartender", "Evenings at the pool bar.", "", int32(1), int32(2), int32(1), int32(1), 0.0, 0.0, "USD", int32(0), "", int64(1772366399), "7b0e7f52-2f0b-4a52-9a47-0d1c0f3c5a11")
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), "", int64(1772366399), "")
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(3), 0.0, 0.0, "", int32(0), "", int64(0), "")
	f.Add("  ", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), "", int64(0), "")
	f.Add(strings.Repeat("t", 201), "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), "", int64(0), "")
	f.Add("Chef \u200b", "Evenings\u202e at the pool bar.", "\u3164", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), "Go,\u2800", int64(0), "")
	f.Add("Chef\x00", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), "", int64(0), "")
	f.Add("Bartender", "Cook \xff", "Sandals", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), "", int64(0), "")
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(99), int32(2), int32(18), int32(0), 0.0, 0.0, "", int32(0), "", int64(0), "")
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 50000.0, 100.0, "dollars", int32(0), "", int64(0), "")
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), -1.0, 1e8+1, "", int32(9), "", int64(0), "")
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), strings.Repeat("s,", 31), int64(0), "not-a-uuid")
	f.Add("Bartender", "Evenings at the pool bar.", "Sandals", int32(1), int32(2), int32(1), int32(0), 0.0, 0.0, "", int32(0), ",", int64(0), "")
	f.Fuzz(func(t *testing.T, title, description, company string, category, employment, island, jobStatus int32, salaryMin, salaryMax float64,
		currency string, period int32, skills string, expire int64, requestID string) {
		job := &hmbv1.Job{Title: title, Description: description, Company: company, Category: hmbv1.JobCategory(category),
			EmploymentType: hmbv1.EmploymentType(employment), Island: hmbv1.Island(island), Status: hmbv1.JobStatus(jobStatus),
			Salary: &hmbv1.Salary{Min: salaryMin, Max: salaryMax, Currency: currency, Period: hmbv1.SalaryPeriod(period)}}
		if skills != "" {
			job.Skills = strings.Split(skills, ",")
		}
		if expire != 0 {
			job.ExpireTime = timestamppb.New(time.Unix(expire, 0))
		}
		create := func(ctx context.Context, r any) (any, error) {
			c, err := rpc.Caller(ctx)
			if err != nil {
				return nil, err
			}
			j, err := s.newJob(c.UserID, r.(*hmbv1.CreateJobRequest).GetJob())
			if err == nil {
				checkNewJob(t, j, now)
			}
			return j, err
		}
		callChain(t, chain, ctx, hmbv1.JobService_CreateJob_FullMethodName, &hmbv1.CreateJobRequest{Job: job, RequestId: requestID}, create)

		if title = strings.TrimSpace(title); title != "" && cleanText(title) && domain.CheckLine(title) == nil && utf8.RuneCountInString(title) <= 200 {
			plain := &hmbv1.Job{Title: title, Description: "Cook.", Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY,
				EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, Island: hmbv1.Island_ISLAND_EXUMA}
			if err := callChain(t, chain, ctx, hmbv1.JobService_CreateJob_FullMethodName, &hmbv1.CreateJobRequest{Job: plain}, create); err != nil {
				t.Fatalf("%v refused: %v", plain, err)
			}
		}
	})
}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

func checkNewJob(t *testing.T, j domain.Job, now time.Time) {
	t.Helper()
	for _, s := range append([]string{j.Title, j.Description, j.Company, j.Requirements, j.Benefits, j.Location, j.Salary.Currency}, j.Skills...) {
		if !cleanText(s) {
			t.Fatalf("text the database cannot take was accepted: %q", s)
		}
	}
	for _, s := range append([]string{j.Title, j.Company, j.Location}, j.Skills...) {
		if err := domain.CheckLine(s); err != nil {
			t.Fatalf("a line people could not read as stored was accepted: %+q: %v", s, err)
		}
	}
	for _, s := range []string{j.Description, j.Requirements, j.Benefits} {
		if err := domain.CheckText(s); err != nil {
			t.Fatalf("text that displays out of order was accepted: %+q: %v", s, err)
		}
	}
	switch {
	case j.Title == "" || utf8.RuneCountInString(j.Title) > 200 || j.Description == "" || utf8.RuneCountInString(j.Description) > 20000:
		t.Fatalf("title %q, description of %d characters", j.Title, utf8.RuneCountInString(j.Description))
	case j.Category == "" || j.EmploymentType == "" || j.Island == "":
		t.Fatalf("category %q, employment type %q, island %q", j.Category, j.EmploymentType, j.Island)
	case j.Status != domain.JobOpen && j.Status != domain.JobDraft:
		t.Fatalf("a new job is %s", j.Status)
	case j.Status == domain.JobOpen && (!j.PublishTime.Equal(now) || !j.ExpireTime.After(now)):
		t.Fatalf("open job published %v, expiring %v", j.PublishTime, j.ExpireTime)
	case !currencyCode.MatchString(j.Salary.Currency):
		t.Fatalf("currency %q", j.Salary.Currency)
	case j.Salary.Min < 0 || j.Salary.Min > 1e8 || j.Salary.Max < 0 || j.Salary.Max > 1e8 || j.Salary.Max != 0 && j.Salary.Max < j.Salary.Min:
		t.Fatalf("salary %v to %v", j.Salary.Min, j.Salary.Max)
	case len(j.Skills) > 30:
		t.Fatalf("%d skills", len(j.Skills))
	}
	for _, skill := range j.Skills {
		if n := utf8.RuneCountInString(skill); n < 1 || n > 50 {
			t.Fatalf("skill %q", skill)
		}
	}
}

// cleanText reports whether PostgreSQL can store s.
func cleanText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }
