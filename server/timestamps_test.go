package server_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// hostileTimes are Timestamps a gRPC client can send that JSON cannot carry,
// or that no posting needs.
var hostileTimes = []struct {
	name   string
	ts     *timestamppb.Timestamp
	reason string
}{
	{"year 10000", &timestamppb.Timestamp{Seconds: 253402300800}, "INVALID_TIMESTAMP"},
	{"largest seconds", &timestamppb.Timestamp{Seconds: math.MaxInt64}, "INVALID_TIMESTAMP"},
	{"before year 1", &timestamppb.Timestamp{Seconds: -62135596801}, "INVALID_TIMESTAMP"},
	{"smallest seconds", &timestamppb.Timestamp{Seconds: math.MinInt64}, "INVALID_TIMESTAMP"},
	{"negative nanos", &timestamppb.Timestamp{Seconds: time.Now().Add(time.Hour).Unix(), Nanos: -1}, "INVALID_TIMESTAMP"},
	{"a second of nanos", &timestamppb.Timestamp{Seconds: time.Now().Add(time.Hour).Unix(), Nanos: 1e9}, "INVALID_TIMESTAMP"},
	{"year 9999", timestamppb.New(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)), "INVALID_JOB_EXPIRE_TIME"},
	{"three years out", timestamppb.New(time.Now().AddDate(3, 0, 0)), "INVALID_JOB_EXPIRE_TIME"},
}

// TestTimestampsMustBeServable: a time accepted over one transport must be
// servable over both. Every hostile expiry is refused on CreateJob and
// UpdateJob, for open jobs and drafts, and the board, its search, each job
// and a saved-job list keep answering over REST.
func TestTimestampsMustBeServable(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	emp := servertest.WithToken(b.Employer.AccessToken)
	job := b.Post(t, &hmbv1.Job{Title: "Night Auditor"})
	if _, err := b.Jobs.SaveJob(servertest.WithToken(b.Seeker.AccessToken), &hmbv1.SaveJobRequest{JobId: job.Id}); err != nil {
		t.Fatal(err)
	}
	template := func(status hmbv1.JobStatus, expire *timestamppb.Timestamp) *hmbv1.Job {
		return &hmbv1.Job{Title: "Chef", Description: "Cook.", Company: "Graycliff", Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY,
			EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, Island: hmbv1.Island_ISLAND_NEW_PROVIDENCE, Status: status, ExpireTime: expire}
	}
	for _, tc := range hostileTimes {
		t.Run(tc.name, func(t *testing.T) {
			for _, st := range []hmbv1.JobStatus{hmbv1.JobStatus_JOB_STATUS_OPEN, hmbv1.JobStatus_JOB_STATUS_DRAFT} {
				_, err := b.Jobs.CreateJob(emp, &hmbv1.CreateJobRequest{Job: template(st, tc.ts)})
				checkInvalid(t, "CreateJob "+st.String(), err, tc.reason)
			}
			_, err := b.Jobs.UpdateJob(emp, &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: job.Id, ExpireTime: tc.ts},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"expire_time"}}})
			checkInvalid(t, "UpdateJob", err, tc.reason)
			// A time nobody reads is refused too: the request cannot be
			// written as JSON.
			if tc.reason == "INVALID_TIMESTAMP" {
				_, err := b.Jobs.UpdateJob(emp, &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: job.Id, Title: "Night Auditor", CreateTime: tc.ts},
					UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
				checkInvalid(t, "UpdateJob with an output-only time", err, tc.reason)
			}
		})
	}
	// Over REST, JSON itself stops at year 9999; the business range is
	// checked all the same.
	far := `{"title":"Chef","description":"Cook.","company":"Graycliff","category":"JOB_CATEGORY_HOSPITALITY",` +
		`"employment_type":"EMPLOYMENT_TYPE_FULL_TIME","island":"ISLAND_EXUMA","expire_time":"9999-12-31T23:59:59Z"}`
	code, _, body := b.Do(t, http.MethodPost, "/api/v1/jobs", strings.NewReader(far), "Authorization", "Bearer "+b.Employer.AccessToken, "Content-Type", "application/json")
	if e := servertest.DecodeError(t, body); code != http.StatusBadRequest || e.Error.Reason != "INVALID_JOB_EXPIRE_TIME" {
		t.Errorf("REST expiry in 9999: %d %s", code, body)
	}
	// Two years is allowed.
	if _, err := b.Jobs.CreateJob(emp, &hmbv1.CreateJobRequest{Job: template(hmbv1.JobStatus_JOB_STATUS_OPEN,
		timestamppb.New(time.Now().AddDate(2, 0, -1)))}); err != nil {
		t.Errorf("an expiry within two years: %v", err)
	}

	for _, path := range []string{"/api/v1/jobs", "/api/v1/jobs?q=chef", "/api/v1/jobs?island=ISLAND_NEW_PROVIDENCE&order_by=salary", "/api/v1/jobs/" + job.Id} {
		if code, _, body := b.Do(t, http.MethodGet, path, nil); code != http.StatusOK {
			t.Errorf("GET %s: %d %.200s", path, code, body)
		}
	}
	if code, _, body := b.Do(t, http.MethodGet, "/api/v1/users/me/saved-jobs", nil, "Authorization", "Bearer "+b.Seeker.AccessToken); code != http.StatusOK {
		t.Errorf("saved jobs: %d %.200s", code, body)
	}
}

func checkInvalid(t *testing.T, what string, err error, want string) {
	t.Helper()
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("%s: %v; want INVALID_ARGUMENT", what, err)
		return
	}
	if got := servertest.Reason(err); got != want {
		t.Errorf("%s: reason %s; want %s (%v)", what, got, want, err)
	}
}

// TestUnservableAnswerIsLoggedAsFailure: a stored time JSON cannot carry
// (written before the service checked, and before the schema forbade it)
// fails the REST answer with 500, and the request's log line says 500, not
// the 200 of the call behind it.
func TestUnservableAnswerIsLoggedAsFailure(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	job := b.Post(t, &hmbv1.Job{Title: "Dockmaster"})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, b.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `ALTER TABLE jobs DROP CONSTRAINT IF EXISTS jobs_times_renderable`); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE jobs SET status = 'CLOSED', expire_time = '10000-01-01' WHERE id = $1`, job.Id); err != nil {
		t.Fatal(err)
	}

	code, header, body := b.Do(t, http.MethodGet, "/api/v1/jobs/"+job.Id, nil)
	if e := servertest.DecodeError(t, body); code != http.StatusInternalServerError || e.Error.Reason != "INTERNAL" || e.Error.Message != "internal error" {
		t.Fatalf("REST: %d %s", code, body)
	}
	id := header.Get("X-Request-Id")
	servertest.Eventually(t, 2*time.Second, "the request's log line", func() bool { return logLine(b.Logs, id) != nil })
	line := logLine(b.Logs, id)
	if line["status"] != 500.0 || line["level"] != "ERROR" || !strings.Contains(line["error"].(string), "encoded") {
		t.Errorf("log line %v; want status 500, level ERROR and why", line)
	}
	// gRPC carries the time as it is.
	if _, err := b.Jobs.GetJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.GetJobRequest{Id: job.Id}); err != nil {
		t.Errorf("gRPC: %v", err)
	}
}

// TestRESTLogLevels: a REST request is logged at the level of its call, so
// that load balancers' probes stay at debug, and at least at warn when its
// answer failed.
func TestRESTLogLevels(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	for path, want := range map[string]string{"/health": "DEBUG", "/live": "DEBUG", "/api/v1/jobs": "INFO", "/nope": "INFO"} {
		_, header, _ := s.Do(t, http.MethodGet, path, nil)
		id := header.Get("X-Request-Id")
		servertest.Eventually(t, 2*time.Second, "the log line of "+path, func() bool { return logLine(s.Logs, id) != nil })
		if got := logLine(s.Logs, id)["level"]; got != want {
			t.Errorf("GET %s logged at %v; want %s", path, got, want)
		}
	}
}

// logLine returns the "request" log line with the request id, or nil.
func logLine(logs *servertest.SyncBuffer, requestID string) map[string]any {
	for _, rec := range logs.Lines("request") {
		if rec["request_id"] == requestID {
			return rec
		}
	}
	return nil
}

// FuzzJobExpiry: whatever expiry a gRPC client sends, the job is either
// refused with INVALID_ARGUMENT or stored, and then served over both
// transports.
func FuzzJobExpiry(f *testing.F) {
	for _, tc := range hostileTimes {
		f.Add(tc.ts.Seconds, tc.ts.Nanos, false)
		f.Add(tc.ts.Seconds, tc.ts.Nanos, true)
	}
	f.Add(time.Now().Add(48*time.Hour).Unix(), int32(0), false)
	f.Add(time.Now().Add(-48*time.Hour).Unix(), int32(5), true)
	f.Add(int64(0), int32(0), false)

	s := servertest.Start(f, servertest.Config(pgtest.NewDatabase(f)))
	jobs := hmbv1.NewJobServiceClient(s.Conn)
	token := s.Register(f, hmbv1.Role_ROLE_EMPLOYER).AccessToken
	emp := servertest.WithToken(token)
	newJob := func(expire *timestamppb.Timestamp) (*hmbv1.Job, error) {
		return jobs.CreateJob(emp, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Deckhand", Description: "Sail.", Company: "Sea Star",
			Category: hmbv1.JobCategory_JOB_CATEGORY_MARITIME, EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_SEASONAL,
			Island: hmbv1.Island_ISLAND_ABACO, ExpireTime: expire}})
	}
	f.Fuzz(func(t *testing.T, seconds int64, nanos int32, update bool) {
		expire := &timestamppb.Timestamp{Seconds: seconds, Nanos: nanos}
		var job *hmbv1.Job
		var err error
		if update {
			if job, err = newJob(nil); err != nil {
				t.Fatal(err)
			}
			job, err = jobs.UpdateJob(emp, &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: job.Id, ExpireTime: expire},
				UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"expire_time"}}})
		} else {
			job, err = newJob(expire)
		}
		if err != nil {
			if status.Code(err) != codes.InvalidArgument {
				t.Fatalf("expiry %v: %v; want INVALID_ARGUMENT or success", expire, err)
			}
			return
		}
		if _, err := protojson.Marshal(job); err != nil {
			t.Fatalf("the stored job cannot be written as JSON: %v", err)
		}
		if _, err := jobs.GetJob(emp, &hmbv1.GetJobRequest{Id: job.Id}); err != nil {
			t.Fatalf("gRPC GetJob: %v", err)
		}
		code, _, body := s.Do(t, http.MethodGet, "/api/v1/jobs/"+job.Id, nil, "Authorization", "Bearer "+token)
		if code != http.StatusOK || !json.Valid(body) {
			t.Fatalf("REST GetJob of a stored job: %d %.200s", code, body)
		}
	})
}
