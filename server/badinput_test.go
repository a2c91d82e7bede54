package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hiremebahamas/api/auth"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// restCase is one hostile or malformed REST request and the answer it must
// get.
type restCase struct {
	name         string
	method, path string
	body         string   // sent as is; empty sends none
	header       []string // name, value pairs; a name given twice is sent twice
	status       int
	reason       string // the error's reason; for 2xx, unused
	message      string // part of the message: the problem or the field named
	// check, for the few inputs that are answered normally, looks at the
	// answer (a search for SQL syntax finds nothing, say).
	check func(t *testing.T, body []byte)
	// unlabelled sends a body without Content-Type; otherwise a body is
	// labelled application/json unless header names another type.
	unlabelled bool
}

// TestBadInput sends every kind of malformed, oversized and hostile input
// over REST and gRPC and checks that each is refused with a precise 4xx (or
// answered harmlessly where the input is legitimate text), that nothing
// reaches the database's tables, and that nothing is logged as a server
// fault.
func TestBadInput(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	f := newBadInputFixtures(t, b)
	before := tableDigests(t, b.URL)

	restCases := badRESTCases(b, f)
	grpcCases := badGRPCCases(b, f)
	t.Logf("%d REST cases, %d gRPC cases", len(restCases), len(grpcCases))
	t.Run("REST", func(t *testing.T) {
		for _, tc := range restCases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				checkREST(t, b, tc)
			})
		}
	})
	t.Run("gRPC", func(t *testing.T) {
		for _, tc := range grpcCases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				checkGRPC(t, tc)
			})
		}
	})

	if after := tableDigests(t, b.URL); !maps.Equal(before, after) {
		t.Errorf("bad input changed the database:\nbefore %v\nafter  %v", before, after)
	}
	for _, line := range strings.Split(b.Logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		status, _ := rec["status"].(float64)
		if rec["level"] == "ERROR" || strings.Contains(line, "panic") || status >= 500 {
			t.Errorf("a server fault was logged: %.1000s", line)
		}
	}
}

// badInputFixtures are the records and tokens the cases refer to.
type badInputFixtures struct {
	jobs                      []*hmbv1.Job // open, the employer's
	application               string       // the seeker's, to jobs[0]
	jobsToken                 string       // ListJobs, page_size 1
	usersToken                string       // ListUsers by the employer
	savedToken                string       // the seeker's saved jobs
	myAppsToken               string       // the seeker's applications
	tamperedSQL, tamperedNum  string       // jobsToken with its cursor id replaced
	expired, algNone, forged  string       // access tokens, without "Bearer "
	employerAuth, seekerAuth  []string     // Authorization header pairs
	employerCtx, seekerCtx    context.Context
	adminCtx                  context.Context
	employerToken, adminToken string
}

func newBadInputFixtures(t *testing.T, b *servertest.Board) *badInputFixtures {
	t.Helper()
	f := &badInputFixtures{
		employerAuth:  []string{"Authorization", "Bearer " + b.Employer.AccessToken},
		seekerAuth:    []string{"Authorization", "Bearer " + b.Seeker.AccessToken},
		employerCtx:   servertest.WithToken(b.Employer.AccessToken),
		seekerCtx:     servertest.WithToken(b.Seeker.AccessToken),
		adminCtx:      servertest.WithToken(b.Admin),
		employerToken: b.Employer.AccessToken,
		adminToken:    b.Admin,
	}
	for _, title := range []string{"Pool Bartender", "Line Cook", "Dive Master"} {
		f.jobs = append(f.jobs, b.Post(t, &hmbv1.Job{Title: title}))
	}
	for i, j := range f.jobs[:2] {
		a, err := b.Jobs.ApplyToJob(f.seekerCtx, &hmbv1.ApplyToJobRequest{JobId: j.Id, CoverLetter: "Hello"})
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			f.application = a.Id
		}
		if _, err := b.Jobs.SaveJob(f.seekerCtx, &hmbv1.SaveJobRequest{JobId: j.Id}); err != nil {
			t.Fatal(err)
		}
	}
	jobs, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{PageSize: 1})
	users, err2 := hmbv1.NewUserServiceClient(b.Conn).ListUsers(f.employerCtx, &hmbv1.ListUsersRequest{PageSize: 1})
	saved, err3 := b.Jobs.ListSavedJobs(f.seekerCtx, &hmbv1.ListSavedJobsRequest{PageSize: 1})
	apps, err4 := b.Jobs.ListMyApplications(f.seekerCtx, &hmbv1.ListMyApplicationsRequest{PageSize: 1})
	for _, err := range []error{err, err2, err3, err4} {
		if err != nil {
			t.Fatal(err)
		}
	}
	f.jobsToken, f.usersToken, f.savedToken, f.myAppsToken = jobs.NextPageToken, users.NextPageToken, saved.NextPageToken, apps.NextPageToken
	for _, tok := range []string{f.jobsToken, f.usersToken, f.savedToken, f.myAppsToken} {
		if tok == "" {
			t.Fatal("a list of several items gave no next_page_token")
		}
	}

	f.tamperedSQL, f.tamperedNum = retoken(t, f.jobsToken, "' OR 1=1 --"), retoken(t, f.jobsToken, "1")

	cfg := auth.TokenConfig{Issuer: "hiremebahamas", Audience: "hiremebahamas-api", TTL: 15 * time.Minute, Current: auth.KeyFromSecret(servertest.Secret),
		Now: func() time.Time { return time.Now().Add(-time.Hour) }}
	tokens, err := auth.NewTokens(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if f.expired, _, err = tokens.Issue(b.Employer.User.Id, "EMPLOYER"); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(b.Employer.AccessToken, ".")
	f.algNone = base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	f.forged = parts[0] + "." + parts[1] + "." + strings.Repeat("A", len(parts[2]))
	return f
}

// retoken returns a page token whose cursor id is replaced, as a client
// tampering with the opaque token would.
func retoken(t *testing.T, token, id string) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	m["i"] = id
	raw, _ = json.Marshal(m)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// tableDigests counts and fingerprints every table a request could write
// to, so that an update shows as well as an insert or delete. Refused
// sign-ins are recorded in login_failures by design, so it is left out.
func tableDigests(t *testing.T, databaseURL string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, databaseURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	out := map[string]string{}
	for _, table := range []string{"users", "jobs", "applications", "saved_jobs", "refresh_tokens"} {
		var n int
		var sum string
		if err := conn.QueryRow(ctx, "SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM "+table+" AS t").Scan(&n, &sum); err != nil {
			t.Fatal(err)
		}
		out[table] = fmt.Sprintf("%d rows %s", n, sum[:12])
	}
	return out
}

func checkREST(t *testing.T, b *servertest.Board, tc restCase) {
	t.Helper()
	var body io.Reader
	if tc.body != "" {
		body = strings.NewReader(tc.body)
	}
	req, err := http.NewRequest(tc.method, b.Base+tc.path, body)
	if err != nil {
		t.Fatal(err)
	}
	labelled := false
	for i := 0; i+1 < len(tc.header); i += 2 {
		req.Header.Add(tc.header[i], tc.header[i+1])
		labelled = labelled || http.CanonicalHeaderKey(tc.header[i]) == "Content-Type"
	}
	if tc.body != "" && !tc.unlabelled && !labelled {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := b.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %.80s: %v", tc.method, tc.path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != tc.status {
		t.Fatalf("status %d; want %d (%.300s)", resp.StatusCode, tc.status, raw)
	}
	switch {
	case tc.status < 300:
		if tc.check != nil {
			tc.check(t, raw)
		}
		return
	case tc.status == http.StatusRequestHeaderFieldsTooLarge:
		// net/http refuses these before any handler runs, in plain text.
		return
	}
	var shape struct {
		Error struct {
			Code       int
			Status     string
			Reason     string
			Message    string
			RequestID  string      `json:"request_id"`
			Violations []violation `json:"field_violations"`
		}
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&shape); err != nil {
		t.Fatalf("error body does not have the error shape: %v: %.300q", err, raw)
	}
	e := shape.Error
	if e.Code != tc.status || e.Reason != tc.reason || e.Status == "" || e.RequestID == "" || len(e.RequestID) > 128 ||
		e.RequestID != resp.Header.Get("X-Request-Id") {
		t.Errorf("error %+v; want code %d reason %s and the response's request id", e, tc.status, tc.reason)
	}
	if !strings.Contains(e.Message, tc.message) {
		t.Errorf("message %q does not mention %q", e.Message, tc.message)
	}
	// Validation's violations list the field the case is about.
	if len(e.Violations) > 0 && !slices.ContainsFunc(e.Violations, func(v violation) bool {
		return v.Field != "" && v.Description != "" && strings.HasPrefix(tc.message, v.Field)
	}) {
		t.Errorf("field violations %+v do not name %q", e.Violations, tc.message)
	}
}
