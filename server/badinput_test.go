package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

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

// grpcCase is the same over gRPC.
type grpcCase struct {
	name    string
	call    func(ctx context.Context) error
	ctx     context.Context // nil: no credentials
	code    codes.Code
	reason  string // the ErrorInfo reason; empty for protovalidate's violations, which carry none
	message string
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

type violation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

func checkGRPC(t *testing.T, tc grpcCase) {
	t.Helper()
	ctx := tc.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	err := tc.call(ctx)
	st := status.Convert(err)
	if st.Code() != tc.code {
		t.Fatalf("%v; want %s", err, tc.code)
	}
	if tc.code == codes.OK {
		return
	}
	var reason string
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok {
			reason = info.Reason
		}
	}
	if reason != tc.reason {
		t.Errorf("reason %q; want %q (%v)", reason, tc.reason, err)
	}
	if !strings.Contains(st.Message(), tc.message) {
		t.Errorf("message %q does not mention %q", st.Message(), tc.message)
	}
}

// matches checks how many items a list answer has: none for a search
// whose words match nothing (had SQL in it run, it would match all), all of
// them for one with no words at all, since syntax characters only separate
// words.
func matches(list string, want int) func(*testing.T, []byte) {
	return func(t *testing.T, body []byte) {
		var page map[string]json.RawMessage
		var items []json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("%v: %.300s", err, body)
		}
		if err := json.Unmarshal(page[list], &items); err != nil {
			t.Fatalf("%s: %v: %.300s", list, err, body)
		}
		if got := len(items); got != want {
			t.Errorf("%d %s; want %d", got, list, want)
		}
	}
}

func nested(open, close string, n int, inner string) string {
	return strings.Repeat(open, n) + inner + strings.Repeat(close, n)
}

func badRESTCases(b *servertest.Board, f *badInputFixtures) []restCase {
	emp, seeker := f.employerAuth, f.seekerAuth
	admin := []string{"Authorization", "Bearer " + f.adminToken}
	job := `"description":"Cook.","company":"Graycliff","category":"JOB_CATEGORY_HOSPITALITY","employment_type":"EMPLOYMENT_TYPE_FULL_TIME","island":"ISLAND_NEW_PROVIDENCE"`
	withJob := func(fields string) string { return "{" + fields + "," + job + "}" }
	register := func(email, first string) string {
		b, _ := json.Marshal(map[string]any{"email": email, "password": servertest.Password, "first_name": first, "last_name": "L", "role": "ROLE_JOB_SEEKER"})
		return string(b)
	}
	jobID, appID := f.jobs[0].Id, f.application
	q := url.QueryEscape
	const (
		bad     = http.StatusBadRequest
		unauth  = http.StatusUnauthorized
		invJSON = "INVALID_JSON"
		invArg  = "INVALID_ARGUMENT" // protovalidate's violations and the gateway's parameter parsing
		badTok  = "TOKEN_INVALID"
		tooBig  = http.StatusRequestHeaderFieldsTooLarge

		unsupported = http.StatusUnsupportedMediaType
		badType     = "UNSUPPORTED_MEDIA_TYPE"
	)
	post := func(name, body string, status int, reason, message string) restCase {
		return restCase{name: name, method: http.MethodPost, path: "/api/v1/jobs", body: body, header: emp, status: status, reason: reason, message: message}
	}
	get := func(name, path string, status int, reason, message string, header ...string) restCase {
		return restCase{name: name, method: http.MethodGet, path: path, header: header, status: status, reason: reason, message: message}
	}
	ok := func(name, path, list string, want int, header ...string) restCase {
		return restCase{name: name, method: http.MethodGet, path: path, header: header, status: http.StatusOK, check: matches(list, want)}
	}
	allJobs := len(f.jobs)
	authz := func(value string) []string { return []string{"Authorization", value} }

	return []restCase{
		// Malformed JSON.
		post("truncated JSON", `{"title":`, bad, invJSON, "not JSON: unexpected end of JSON input"),
		post("not JSON at all", `not json`, bad, invJSON, "not JSON"),
		post("trailing comma", `{"title":"Chef",}`, bad, invJSON, "at byte 17"),
		post("two documents", `{"title":"a"} {"title":"b"}`, bad, invJSON, "after top-level value"),
		post("null body", `null`, bad, invJSON, "unexpected token null"),
		post("duplicate field", withJob(`"title":"a","title":"b"`), bad, invJSON, `duplicate field "title"`),
		post("single quotes", `{'title':'Chef'}`, bad, invJSON, "not JSON"),
		post("comment", "{/* hi */}", bad, invJSON, "not JSON"),

		// Wrong JSON types.
		post("number for string", withJob(`"title":123`), bad, invJSON, "string field title"),
		post("object for string", withJob(`"title":{"a":1}`), bad, invJSON, "string field title"),
		post("array for string", withJob(`"title":["Chef"]`), bad, invJSON, "string field title"),
		post("string for number", withJob(`"title":"Chef","salary":{"min":"lots"}`), bad, invJSON, "double field min"),
		post("string for bool", withJob(`"title":"Chef","remote":"yes"`), bad, invJSON, "bool field remote"),
		post("number for message", withJob(`"title":"Chef","salary":5`), bad, invJSON, "unexpected token 5"),
		post("string for list", withJob(`"title":"Chef","skills":"cooking"`), bad, invJSON, "unexpected token"),
		post("fraction for enum", withJob(`"title":"Chef","salary":{"period":1.5}`), bad, invJSON, "period"),
		post("bad timestamp", withJob(`"title":"Chef","expire_time":"yesterday"`), bad, invJSON, "Timestamp"),
		post("timestamp past year 9999", withJob(`"title":"Chef","expire_time":"10000-01-01T00:00:00Z"`), bad, invJSON, "Timestamp"),
		post("expiry at the end of year 9999", withJob(`"title":"Chef","expire_time":"9999-12-31T23:59:59Z"`), bad, "INVALID_JOB_EXPIRE_TIME", "job.expire_time"),
		post("number beyond float64", withJob(`"title":"Chef","salary":{"min":1e400}`), bad, invJSON, "double field min"),

		// Unknown and out-of-range enum values.
		post("unknown enum name", `{"title":"Chef","category":"JOB_CATEGORY_SPACE"}`, bad, invJSON, "enum field category"),
		post("enum number out of range", `{"title":"Chef","description":"Cook.","category":99,"employment_type":"EMPLOYMENT_TYPE_FULL_TIME","island":"ISLAND_EXUMA"}`,
			bad, invArg, "job.category"),
		get("unknown enum in query", "/api/v1/jobs?island=ISLAND_ATLANTIS", bad, invArg, `"island"`),
		get("enum number in query", "/api/v1/jobs?island=99", bad, invArg, `"island"`),
		{name: "role not open to sign-up", method: http.MethodPost, path: "/api/v1/auth/register", status: bad, reason: invArg, message: "role",
			body: `{"email":"x@example.com","password":"correct horse battery","first_name":"A","last_name":"B","role":"ROLE_ADMIN"}`},
		{name: "application status not a move", method: http.MethodPatch, path: "/api/v1/applications/" + appID, header: emp,
			body: `{"status":"APPLICATION_STATUS_SUBMITTED"}`, status: bad, reason: invArg, message: "status"},

		// Huge input.
		post("100,000-character title", withJob(`"title":"`+strings.Repeat("t", 100_000)+`"`), bad, invArg, "job.title"),
		post("body over 1 MiB", withJob(`"title":"Chef","benefits":"`+strings.Repeat("b", 1<<20)+`"`), http.StatusRequestEntityTooLarge, "BODY_TOO_LARGE", "1 MiB"),
		get("10,000-character search", "/api/v1/jobs?q="+strings.Repeat("q", 10_000), bad, invArg, "q"),

		// Invalid UTF-8, in bodies, queries and paths.
		post("invalid UTF-8 in a JSON string", withJob("\"title\":\"Chef \xff\xfe\""), bad, invJSON, "invalid UTF-8"),
		post("lone surrogate escape", withJob(`"title":"Chef \udc00"`), bad, invJSON, `invalid escape code`),
		post("lone surrogate escape at the end", `{"title":"\udc00"}`, bad, invJSON, `\u escape`),
		get("invalid UTF-8 in q", "/api/v1/jobs?q=%ff", bad, "INVALID_UTF8", "q: must be valid UTF-8"),
		get("invalid UTF-8 in page_token", "/api/v1/jobs?page_token=%c3", bad, "INVALID_UTF8", "page_token"),
		get("invalid UTF-8 in a path id", "/api/v1/jobs/%ff", bad, "INVALID_UTF8", "id: must be valid UTF-8"),
		get("invalid UTF-8 in a talent search", "/api/v1/users?q=bar%fftender", bad, "INVALID_UTF8", "q", emp...),
		get("truncated UTF-8 in skill", "/api/v1/users?skill=caf%c3", bad, "INVALID_UTF8", "skill", emp...),
		get("malformed percent-encoding", "/api/v1/jobs?q=%zz", bad, invArg, `invalid URL escape "%zz"`),

		// page_size.
		get("negative page_size", "/api/v1/jobs?page_size=-1", bad, invArg, "page_size"),
		get("page_size above 100", "/api/v1/jobs?page_size=101", bad, invArg, "page_size"),
		get("largest int32 page_size", "/api/v1/jobs?page_size=2147483647", bad, invArg, "page_size"),
		get("page_size beyond int32", "/api/v1/jobs?page_size=99999999999", bad, invArg, "page_size"),
		get("page_size not a number", "/api/v1/jobs?page_size=twenty", bad, invArg, "page_size"),
		get("negative page_size of saved jobs", "/api/v1/users/me/saved-jobs?page_size=-5", bad, invArg, "page_size", seeker...),
		get("huge page_size of users", "/api/v1/users?page_size=1000000", bad, invArg, "page_size", emp...),

		// Page tokens.
		get("garbage page token", "/api/v1/jobs?page_size=1&page_token=garbage", bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("truncated page token", "/api/v1/jobs?page_size=1&page_token="+f.jobsToken[:len(f.jobsToken)-3], bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("tampered page token", "/api/v1/jobs?page_size=1&page_token="+f.tamperedSQL, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("page token of another order", "/api/v1/jobs?page_size=1&order_by=salary&page_token="+f.jobsToken, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("page token of another filter", "/api/v1/jobs?page_size=1&island=ISLAND_EXUMA&page_token="+f.jobsToken, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("users page token for jobs", "/api/v1/jobs?page_size=1&page_token="+f.usersToken, bad, "INVALID_PAGE_TOKEN", "page_token"),
		get("another user's saved-jobs token", "/api/v1/users/me/saved-jobs?page_token="+f.savedToken, bad, "INVALID_PAGE_TOKEN", "page_token", emp...),
		get("applications token for saved jobs", "/api/v1/users/me/saved-jobs?page_token="+f.myAppsToken, bad, "INVALID_PAGE_TOKEN", "page_token", seeker...),
		get("page token over 512 characters", "/api/v1/jobs?page_token="+strings.Repeat("A", 513), bad, invArg, "page_token"),

		// SQL metacharacters and NUL: text is text, and NUL is refused.
		ok("SQL in q", "/api/v1/jobs?q="+q("' OR 1=1 --"), "jobs", 0),
		ok("SQL with a word that matches", "/api/v1/jobs?q="+q("cook' OR 'x'='x"), "jobs", 0),
		ok("percent in q", "/api/v1/jobs?q="+q("%"), "jobs", allJobs),
		ok("underscore in q", "/api/v1/jobs?q=_", "jobs", allJobs),
		ok("backslash in q", "/api/v1/jobs?q="+q(`\\`), "jobs", allJobs),
		ok("tsquery syntax in q", "/api/v1/jobs?q="+q(`cook:* | !(dive) <-> 'x'`), "jobs", 0),
		ok("quote and semicolon in q", "/api/v1/jobs?q="+q(`'; DROP TABLE jobs; --`), "jobs", 0),
		ok("SQL in a talent search", "/api/v1/users?q="+q("' OR 1=1 --"), "users", 0, emp...),
		ok("percent in skill", "/api/v1/users?skill="+q("%"), "users", 0, emp...),
		get("NUL in q", "/api/v1/jobs?q=chef%00", bad, "NUL_CHARACTER", "q: must not contain NUL"),
		get("NUL in a talent search", "/api/v1/users?q=%00", bad, "NUL_CHARACTER", "q", emp...),
		get("NUL in skill", "/api/v1/users?skill=go%00", bad, "NUL_CHARACTER", "skill", emp...),
		get("SQL as an id", "/api/v1/jobs/"+url.PathEscape("' OR 1=1 --"), bad, invArg, "id: must be a valid UUID"),
		get("percent as an id", "/api/v1/jobs/%25", bad, invArg, "id"),
		get("underscore as an id", "/api/v1/jobs/_", bad, invArg, "id"),
		get("backslash as an id", "/api/v1/jobs/%5C", bad, invArg, "id"),
		get("NUL as an id", "/api/v1/jobs/%00", bad, "NUL_CHARACTER", "id"),
		get("SQL as employer_id", "/api/v1/jobs?employer_id="+q("' OR 1=1 --"), bad, invArg, "employer_id"),
		{name: "SQL as a sign-in email", method: http.MethodPost, path: "/api/v1/auth/login", body: `{"email":"' OR 1=1 --","password":"x"}`,
			status: unauth, reason: "INVALID_CREDENTIALS", message: "email or password"},
		{name: "NUL in a sign-in email", method: http.MethodPost, path: "/api/v1/auth/login", body: `{"email":"a\u0000@example.com","password":"x"}`,
			status: bad, reason: "NUL_CHARACTER", message: "email"},
		{name: "SQL as a sign-up email", method: http.MethodPost, path: "/api/v1/auth/register", body: register("' OR 1=1 --@example.com", "A"),
			status: bad, reason: "INVALID_EMAIL", message: "email"},
		{name: "NUL in a name", method: http.MethodPost, path: "/api/v1/auth/register", body: register(servertest.NewEmail("nul"), "A\x00"),
			status: bad, reason: "NUL_CHARACTER", message: "first_name"},
		{name: "NUL in a headline", method: http.MethodPatch, path: "/api/v1/users/me", header: emp, body: `{"headline":"x\u0000y"}`,
			status: bad, reason: "NUL_CHARACTER", message: "user.headline"},
		post("NUL in a title", withJob(`"title":"Chef\u0000"`), bad, "NUL_CHARACTER", "job.title"),
		{name: "NUL in a cover letter", method: http.MethodPost, path: "/api/v1/jobs/" + f.jobs[2].Id + "/applications", header: seeker,
			body: `{"cover_letter":"Hi\u0000"}`, status: bad, reason: "NUL_CHARACTER", message: "cover_letter"},

		// Text people could not read as stored: invisible, blank, reordered.
		{name: "zero-width space as a name", method: http.MethodPost, path: "/api/v1/auth/register", body: register(servertest.NewEmail("zw"), "\u200b"),
			status: bad, reason: "INVALID_FIRST_NAME", message: "first_name: must not contain invisible or direction-changing characters (U+200B)"},
		{name: "right-to-left override in a sign-up email", method: http.MethodPost, path: "/api/v1/auth/register", body: register("ada\u202e@example.com", "A"),
			status: bad, reason: "INVALID_EMAIL", message: "email: must not contain invisible or direction-changing characters (U+202E)"},
		post("Hangul filler as a title", withJob(`"title":"\u3164"`), bad, "INVALID_JOB_TITLE", "job.title: must not contain invisible or direction-changing characters (U+3164)"),
		post("isolates in a description", `{"title":"Chef","description":"Cook \u2066now\u2069","company":"Graycliff","category":"JOB_CATEGORY_HOSPITALITY",`+
			`"employment_type":"EMPLOYMENT_TYPE_FULL_TIME","island":"ISLAND_NEW_PROVIDENCE"}`, bad, "INVALID_JOB_DESCRIPTION",
			"job.description: must not contain direction-changing characters (U+2066)"),
		{name: "terminal escape in a headline", method: http.MethodPatch, path: "/api/v1/users/me", header: emp, body: `{"headline":"Chef\u001b[31m"}`,
			status: bad, reason: "INVALID_USER_HEADLINE", message: "user.headline: must not contain control characters (U+001B)"},

		{name: "SQL as a refresh token", method: http.MethodPost, path: "/api/v1/auth/refresh", body: `{"refresh_token":"' OR 1=1 --"}`,
			status: unauth, reason: "REFRESH_TOKEN_INVALID", message: "refresh token"},
		{name: "garbage refresh cookie", method: http.MethodPost, path: "/api/v1/auth/refresh", header: []string{"Cookie", "hmb_refresh=%ff%00'--"},
			status: unauth, reason: "REFRESH_TOKEN_INVALID", message: "refresh token"},
		{name: "refresh with neither token nor cookie", method: http.MethodPost, path: "/api/v1/auth/refresh", body: "{}",
			status: unauth, reason: "REFRESH_TOKEN_MISSING", message: "no refresh token was sent"},
		{name: "refresh with an empty cookie", method: http.MethodPost, path: "/api/v1/auth/refresh", header: []string{"Cookie", "hmb_refresh="},
			status: unauth, reason: "REFRESH_TOKEN_MISSING", message: "may be blocking the cookie"},

		// Deep nesting.
		post("10,000 nested arrays", nested("[", "]", 10_000, ""), bad, invJSON, "unexpected token ["),
		post("9,999 nested objects in an unknown field", `{"a":`+nested(`{"a":`, "}", 9_998, "1")+"}", bad, invJSON, `unknown field "a"`),
		post("9,999 nested arrays as a title", `{"title":`+nested("[", "]", 9_999, "")+"}", bad, invJSON, "string field title"),
		post("10,000 nested salaries", withJob(`"title":"Chef","salary":`+nested(`{"salary":`, "}", 10_000, "{}")), bad, invJSON, "nested more than 10000 levels"),
		post("100,000 nested arrays", nested("[", "]", 100_000, ""), bad, invJSON, "nested more than 10000 levels"),

		// Long and oversized headers.
		{name: "10,000-character X-Request-Id", method: http.MethodGet, path: "/api/v1/jobs/not-a-uuid", header: []string{"X-Request-Id", strings.Repeat("r", 10_000)},
			status: bad, reason: invArg, message: "id"},
		get("10,000-character custom header", "/api/v1/users/me", unauth, "MISSING_TOKEN", "sign in", "X-Hmb-Note", strings.Repeat("n", 10_000)),
		get("10,000-character Authorization", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer "+strings.Repeat("a", 10_000))...),
		get("100 KB header", "/api/v1/jobs", tooBig, "", "", "X-Hmb-Note", strings.Repeat("n", 100_000)),
		get("1 MB header", "/api/v1/jobs", tooBig, "", "", "X-Hmb-Note", strings.Repeat("n", 1<<20)),
		get("100 KB URL", "/api/v1/jobs?q="+strings.Repeat("q", 100_000), tooBig, "", ""),

		// Malformed Authorization headers, on a protected and a public route.
		get("Bearer alone", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer")...),
		get("Basic credentials", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Basic dXNlcjpwYXNz")...),
		get("two tokens in one header", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer "+f.employerToken+" "+f.employerToken)...),
		get("two Authorization headers", "/api/v1/users/me", unauth, badTok, "one Authorization header",
			append(authz("Bearer "+f.employerToken), authz("Bearer "+f.employerToken)...)...),
		get("non-ASCII token", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer é.é.é")...),
		get("non-ASCII token on a public route", "/api/v1/jobs", unauth, badTok, "bearer token", authz("Bearer é.é.é")...),
		get("tab after Bearer", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer\t"+f.employerToken)...),
		get("JWT with alg none", "/api/v1/users/me", unauth, badTok, "bearer token", authz("Bearer "+f.algNone)...),
		get("tampered signature", "/api/v1/users/me", unauth, badTok, "not valid", authz("Bearer "+f.forged)...),
		get("expired token", "/api/v1/users/me", unauth, "TOKEN_EXPIRED", "expired", authz("Bearer "+f.expired)...),
		get("bad token on a public route", "/api/v1/jobs", unauth, badTok, "not valid", authz("Bearer "+f.forged)...),

		// Ids that are not ids.
		get("number as an id", "/api/v1/jobs/1", bad, invArg, "id: must be a valid UUID"),
		get("word as an id", "/api/v1/users/not-a-uuid", bad, invArg, "id"),
		get("UUID with a digit too many", "/api/v1/users/12345678-1234-1234-1234-1234567890123", bad, invArg, "id"),
		get("nil UUID", "/api/v1/jobs/00000000-0000-0000-0000-000000000000", http.StatusNotFound, "JOB_NOT_FOUND", "no such job"),
		{name: "saving a non-id", method: http.MethodPut, path: "/api/v1/users/me/saved-jobs/1%3B1", header: seeker, status: bad, reason: invArg, message: "job_id"},
		{name: "deleting a non-id", method: http.MethodDelete, path: "/api/v1/jobs/1", header: emp, status: bad, reason: invArg, message: "id"},
		{name: "moving a non-id", method: http.MethodPatch, path: "/api/v1/applications/xyz", header: emp, body: `{"status":"APPLICATION_STATUS_REVIEWING"}`,
			status: bad, reason: invArg, message: "id"},
		{name: "withdrawing a non-id", method: http.MethodPost, path: "/api/v1/applications/xyz:withdraw", header: seeker, status: bad, reason: invArg, message: "id"},
		{name: "deactivating a non-id", method: http.MethodPost, path: "/api/v1/users/xyz:deactivate", header: admin, status: bad, reason: invArg, message: "id"},

		// Paths that try to climb.
		get("encoded slashes", "/api/v1/jobs/..%2F..%2Fusers", http.StatusNotFound, "ROUTE_NOT_FOUND", "no route"),
		get("encoded dots", "/api/v1/jobs/%2e%2e", bad, invArg, "id"),
		get("dot segments", "/api/v1/users/me/../../jobs", http.StatusNotFound, "ROUTE_NOT_FOUND", "no route"),
		get("double-encoded slashes", "/api/v1/jobs/..%252F..", bad, invArg, "id"),
		get("traversal to a file", "/api/v1/jobs/%2e%2e%2f%2e%2e%2fetc%2fpasswd", http.StatusNotFound, "ROUTE_NOT_FOUND", "no route"),

		// Unknown fields: refused in JSON, so that a misspelt field is never
		// silently dropped; unknown query parameters are ignored.
		post("unknown field", withJob(`"title":"Chef","salary_maximum":5`), bad, invJSON, `unknown field "salary_maximum"`),
		post("unknown nested field", withJob(`"title":"Chef","salary":{"min":1,"bonus":2}`), bad, invJSON, `unknown field "bonus"`),
		{name: "read-only field in a profile", method: http.MethodPatch, path: "/api/v1/users/me", header: emp, body: `{"role":"ROLE_ADMIN"}`,
			status: bad, reason: "INVALID_UPDATE_MASK", message: "role cannot be changed"},
		ok("unknown query parameter is ignored", "/api/v1/jobs?utm_source=mail", "jobs", allJobs),

		// Content types: a body must be labelled JSON, which a form on
		// another site cannot send; nothing else is decoded.
		{name: "XML body", method: http.MethodPost, path: "/api/v1/jobs", body: `<job><title>Chef</title></job>`,
			header: append([]string{"Content-Type", "application/xml"}, emp...), status: unsupported, reason: badType, message: `"application/xml" is not supported; send the body as application/json`},
		{name: "form-encoded body", method: http.MethodPost, path: "/api/v1/jobs", body: "title=Chef&description=Cook",
			header: append([]string{"Content-Type", "application/x-www-form-urlencoded"}, emp...), status: unsupported, reason: badType, message: `"application/x-www-form-urlencoded"`},
		{name: "form-encoded sign-in", method: http.MethodPost, path: "/api/v1/auth/login", body: "email=" + q(b.Employer.User.Email) + "&password=" + q(servertest.Password),
			header: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: unsupported, reason: badType, message: `"application/x-www-form-urlencoded"`},
		{name: "multipart body", method: http.MethodPost, path: "/api/v1/jobs", body: "--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nChef\r\n--x--\r\n",
			header: append([]string{"Content-Type", "multipart/form-data; boundary=x"}, emp...), status: unsupported, reason: badType, message: `"multipart/form-data; boundary=x"`},
		{name: "JSON labelled text/plain", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`),
			header: append([]string{"Content-Type", "text/plain"}, emp...), status: unsupported, reason: badType, message: `"text/plain"`},
		{name: "sign-in JSON labelled text/plain", method: http.MethodPost, path: "/api/v1/auth/login", body: `{"email":"` + b.Employer.User.Email + `","password":"` + servertest.Password + `"}`,
			header: []string{"Content-Type", "text/plain;charset=UTF-8"}, status: unsupported, reason: badType, message: `"text/plain;charset=UTF-8"`},
		{name: "JSON without a Content-Type", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`), header: emp, unlabelled: true,
			status: unsupported, reason: badType, message: "a body but no Content-Type; send the body as application/json"},
		{name: "a profile without a Content-Type", method: http.MethodPatch, path: "/api/v1/users/me", body: `{"headline":"x"}`, header: emp, unlabelled: true,
			status: unsupported, reason: badType, message: "no Content-Type"},
		{name: "JSON look-alike type", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`),
			header: append([]string{"Content-Type", "application/jsonx"}, emp...), status: unsupported, reason: badType, message: `"application/jsonx"`},
		{name: "type that does not parse", method: http.MethodPost, path: "/api/v1/jobs", body: withJob(`"title":"Chef"`),
			header: append([]string{"Content-Type", "application/json/x"}, emp...), status: unsupported, reason: badType, message: `"application/json/x"`},
		{name: "a type without a body", method: http.MethodDelete, path: "/api/v1/users/me/saved-jobs/" + jobID,
			header: append([]string{"Content-Type", "text/plain"}, seeker...), status: unsupported, reason: badType, message: `"text/plain"`},
		{name: "JSON with a charset", method: http.MethodPost, path: "/api/v1/jobs", body: `{"title":"Chef","category":"JOB_CATEGORY_SPACE"}`,
			header: append([]string{"Content-Type", "application/json; charset=utf-8"}, emp...), status: bad, reason: invJSON, message: "enum field category"},

		// Other malformed parameters.
		get("bool that is not one", "/api/v1/jobs?remote=maybe", bad, invArg, `"remote"`),
		get("NaN salary", "/api/v1/jobs?salary_min=NaN", bad, invArg, "salary_min"),
		get("posted within a year and a day", "/api/v1/jobs?posted_within_days=366", bad, invArg, "posted_within_days"),
		get("unknown order", "/api/v1/jobs?order_by=cheapest", bad, invArg, "order_by"),
		get("relevance without words", "/api/v1/jobs?order_by=relevance&q="+q("'--"), bad, "INVALID_ORDER_BY", "order_by"),
		{name: "update_mask naming nothing real", method: http.MethodPatch, path: "/api/v1/jobs/" + jobID + "?update_mask=owner", header: emp,
			body: `{"title":"x"}`, status: bad, reason: "INVALID_UPDATE_MASK", message: `"owner"`},
		{name: "invalid UTF-8 in update_mask", method: http.MethodPatch, path: "/api/v1/jobs/" + jobID + "?update_mask=%ff", header: emp,
			body: `{"title":"x"}`, status: bad, reason: "INVALID_UTF8", message: "update_mask.paths[0]"},
	}
}

// rawMessage is a request whose wire bytes are given: grpc-go refuses to
// encode a proto3 string that is not UTF-8, so such requests are sent as
// the unknown fields of an empty message.
func rawMessage(b []byte) proto.Message {
	m := &emptypb.Empty{}
	m.ProtoReflect().SetUnknown(b)
	return m
}

// field encodes one length-delimited field.
func field(num protowire.Number, value []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(nil, num, protowire.BytesType), value)
}

func badGRPCCases(b *servertest.Board, f *badInputFixtures) []grpcCase {
	jobs, users := b.Jobs, hmbv1.NewUserServiceClient(b.Conn)
	authn := hmbv1.NewAuthServiceClient(b.Conn)
	invoke := func(method string, wire []byte, reply proto.Message) func(context.Context) error {
		return func(ctx context.Context) error { return b.Conn.Invoke(ctx, method, rawMessage(wire), reply) }
	}
	bearer := func(value string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), "authorization", value)
	}
	getMe := func(ctx context.Context) error { _, err := users.GetMe(ctx, &hmbv1.GetMeRequest{}); return err }
	listJobs := func(req *hmbv1.ListJobsRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := jobs.ListJobs(ctx, req); return err }
	}
	listUsers := func(req *hmbv1.ListUsersRequest) func(context.Context) error {
		return func(ctx context.Context) error { _, err := users.ListUsers(ctx, req); return err }
	}
	createJob := func(j *hmbv1.Job) func(context.Context) error {
		if j.Description == "" {
			j.Description = "Cook."
		}
		j.Company, j.Category, j.EmploymentType, j.Island = "Graycliff", hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY,
			hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, hmbv1.Island_ISLAND_NEW_PROVIDENCE
		return func(ctx context.Context) error {
			_, err := jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: j})
			return err
		}
	}
	getJob := func(id string) func(context.Context) error {
		return func(ctx context.Context) error { _, err := jobs.GetJob(ctx, &hmbv1.GetJobRequest{Id: id}); return err }
	}
	register := func(req *hmbv1.RegisterRequest) func(context.Context) error {
		if req.Email == "" {
			req.Email = servertest.NewEmail("bad")
		}
		req.Password, req.LastName = servertest.Password, "L"
		return func(ctx context.Context) error { _, err := authn.Register(ctx, req); return err }
	}
	updateMe := func(u *hmbv1.User, paths ...string) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := users.UpdateMe(ctx, &hmbv1.UpdateMeRequest{User: u, UpdateMask: &fieldmaskpb.FieldMask{Paths: paths}})
			return err
		}
	}
	const (
		inv     = codes.InvalidArgument
		unauth  = codes.Unauthenticated
		badTok  = "TOKEN_INVALID"
		badUTF8 = "INVALID_UTF8"
		nul     = "NUL_CHARACTER"
		badPage = "INVALID_PAGE_TOKEN"
	)
	emp, seeker, admin := f.employerCtx, f.seekerCtx, f.adminCtx
	notUTF8 := []byte("Chef \xff\xfe")

	return []grpcCase{
		// Strings that are not UTF-8: grpc-go's decoding fails before any
		// interceptor runs.
		{name: "invalid UTF-8 in q", call: invoke(hmbv1.JobService_ListJobs_FullMethodName, field(1, notUTF8), &hmbv1.ListJobsResponse{}),
			code: inv, reason: badUTF8, message: "q: must be valid UTF-8"},
		{name: "invalid UTF-8 in a nested title", ctx: emp, code: inv, reason: badUTF8, message: "job.title: must be valid UTF-8",
			call: invoke(hmbv1.JobService_CreateJob_FullMethodName, field(1, field(4, notUTF8)), &hmbv1.Job{})},
		{name: "invalid UTF-8 in a repeated field", ctx: emp, code: inv, reason: badUTF8, message: "user.skills[1]",
			call: invoke(hmbv1.UserService_UpdateMe_FullMethodName, field(1, append(field(11, []byte("Go")), field(11, notUTF8)...)), &hmbv1.User{})},
		{name: "invalid UTF-8 in an email", call: invoke(hmbv1.AuthService_Login_FullMethodName, field(1, notUTF8), &hmbv1.AuthSession{}),
			code: inv, reason: badUTF8, message: "email"},
		{name: "invalid UTF-8 in an id", call: invoke(hmbv1.JobService_GetJob_FullMethodName, field(1, []byte{0xc3}), &hmbv1.Job{}),
			code: inv, reason: badUTF8, message: "id"},
		{name: "invalid UTF-8 in a health check", call: invoke("/grpc.health.v1.Health/Check", field(1, notUTF8), &grpc_health_v1.HealthCheckResponse{}),
			code: inv, reason: badUTF8, message: "service"},
		{name: "invalid UTF-8 in a health watch", code: inv, reason: badUTF8, message: "service", call: func(ctx context.Context) error {
			stream, err := b.Conn.NewStream(ctx, &grpc.StreamDesc{ServerStreams: true}, "/grpc.health.v1.Health/Watch")
			if err != nil {
				return err
			}
			if err := stream.SendMsg(rawMessage(field(1, notUTF8))); err != nil {
				return err
			}
			if err := stream.CloseSend(); err != nil {
				return err
			}
			return stream.RecvMsg(&grpc_health_v1.HealthCheckResponse{})
		}},
		{name: "bytes that are not a message", call: invoke(hmbv1.JobService_ListJobs_FullMethodName, []byte{0x0a, 0xff, 0xff}, &hmbv1.ListJobsResponse{}),
			code: inv, reason: "MALFORMED_REQUEST", message: "could not be decoded"},

		// NUL, which PostgreSQL cannot store.
		{name: "NUL in q", call: listJobs(&hmbv1.ListJobsRequest{Q: "chef\x00"}), code: inv, reason: nul, message: "q: must not contain NUL"},
		{name: "NUL in a talent search", ctx: emp, call: listUsers(&hmbv1.ListUsersRequest{Q: "\x00"}), code: inv, reason: nul, message: "q"},
		{name: "NUL in a sign-in email", code: inv, reason: nul, message: "email", call: func(ctx context.Context) error {
			_, err := authn.Login(ctx, &hmbv1.LoginRequest{Email: "a\x00@example.com", Password: "x"})
			return err
		}},
		{name: "NUL in a name", call: register(&hmbv1.RegisterRequest{FirstName: "A\x00", Role: hmbv1.Role_ROLE_JOB_SEEKER}), code: inv, reason: nul, message: "first_name"},
		{name: "NUL in a title", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef\x00"}), code: inv, reason: nul, message: "job.title"},
		{name: "NUL in a headline", ctx: emp, call: updateMe(&hmbv1.User{Headline: "x\x00"}, "headline"), code: inv, reason: nul, message: "user.headline"},

		// Text people could not read as stored.
		{name: "zero-width space as a name", call: register(&hmbv1.RegisterRequest{FirstName: "\u200b", Role: hmbv1.Role_ROLE_JOB_SEEKER}), code: inv,
			reason: "INVALID_FIRST_NAME", message: "first_name: must not contain invisible or direction-changing characters (U+200B)"},
		{name: "right-to-left override in a sign-up email", call: register(&hmbv1.RegisterRequest{Email: "ada\u202e@example.com", FirstName: "A", Role: hmbv1.Role_ROLE_JOB_SEEKER}),
			code: inv, reason: "INVALID_EMAIL", message: "email: must not contain invisible or direction-changing characters (U+202E)"},
		{name: "braille blank as a skill", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", Skills: []string{"\u2800"}}), code: inv,
			reason: "INVALID_JOB_SKILLS", message: "job.skills[0]: must not contain invisible or direction-changing characters (U+2800)"},
		{name: "line separator in a company name", ctx: emp, call: updateMe(&hmbv1.User{CompanyName: "Graycliff\u2028Ltd"}, "company_name"), code: inv,
			reason: "INVALID_USER_COMPANY_NAME", message: "user.company_name: must not contain line or paragraph separators (U+2028)"},
		{name: "right-to-left override in a cover letter", ctx: seeker, code: inv, reason: "INVALID_COVER_LETTER",
			message: "cover_letter: must not contain direction-changing characters (U+202E)", call: func(ctx context.Context) error {
				_, err := jobs.ApplyToJob(ctx, &hmbv1.ApplyToJobRequest{JobId: f.jobs[2].Id, CoverLetter: "Hi\u202e"})
				return err
			}},

		// Page sizes.
		{name: "negative page_size", call: listJobs(&hmbv1.ListJobsRequest{PageSize: -1}), code: inv, message: "page_size"},
		{name: "huge page_size", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1 << 30}), code: inv, message: "page_size"},
		{name: "largest int32 page_size of users", ctx: emp, call: listUsers(&hmbv1.ListUsersRequest{PageSize: math.MaxInt32}), code: inv, message: "page_size"},
		{name: "smallest int32 page_size of saved jobs", ctx: seeker, code: inv, message: "page_size", call: func(ctx context.Context) error {
			_, err := jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{PageSize: math.MinInt32})
			return err
		}},

		// Bad access tokens.
		{name: "Bearer alone", ctx: bearer("Bearer"), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "Basic credentials", ctx: bearer("Basic dXNlcjpwYXNz"), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "two tokens in one value", ctx: bearer("Bearer " + f.employerToken + " " + f.employerToken), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "two authorization values", ctx: metadata.AppendToOutgoingContext(f.employerCtx, "authorization", "Bearer "+f.employerToken),
			call: getMe, code: unauth, reason: badTok, message: "one Authorization header"},
		{name: "JWT with alg none", ctx: bearer("Bearer " + f.algNone), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "tampered signature", ctx: bearer("Bearer " + f.forged), call: getMe, code: unauth, reason: badTok, message: "not valid"},
		{name: "expired token", ctx: bearer("Bearer " + f.expired), call: getMe, code: unauth, reason: "TOKEN_EXPIRED", message: "expired"},
		{name: "10,000-character token", ctx: bearer("Bearer " + strings.Repeat("a", 10_000)), call: getMe, code: unauth, reason: badTok, message: "bearer token"},
		{name: "bad token on a public method", ctx: bearer("Bearer " + f.forged), call: listJobs(&hmbv1.ListJobsRequest{}), code: unauth, reason: badTok, message: "not valid"},

		// Page tokens.
		{name: "garbage page token", call: listJobs(&hmbv1.ListJobsRequest{PageToken: "garbage"}), code: inv, reason: badPage, message: "page_token"},
		{name: "users page token for jobs", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1, PageToken: f.usersToken}), code: inv, reason: badPage, message: "page_token"},
		{name: "page token of another query", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1, Q: "chef", PageToken: f.jobsToken}), code: inv, reason: badPage, message: "page_token"},
		{name: "tampered page token", call: listJobs(&hmbv1.ListJobsRequest{PageSize: 1, PageToken: f.tamperedNum}), code: inv, reason: badPage, message: "page_token"},
		{name: "another user's saved-jobs token", ctx: emp, code: inv, reason: badPage, message: "page_token", call: func(ctx context.Context) error {
			_, err := jobs.ListSavedJobs(ctx, &hmbv1.ListSavedJobsRequest{PageToken: f.savedToken})
			return err
		}},
		{name: "page token over 512 characters", call: listJobs(&hmbv1.ListJobsRequest{PageToken: strings.Repeat("A", 513)}), code: inv, message: "page_token"},

		// Ids that are not ids.
		{name: "word as an id", call: getJob("not-a-uuid"), code: inv, message: "id"},
		{name: "number as an id", call: getJob("1"), code: inv, message: "id"},
		{name: "empty id", call: getJob(""), code: inv, message: "id"},
		{name: "path as an id", code: inv, message: "id", call: func(ctx context.Context) error {
			_, err := users.GetUser(ctx, &hmbv1.GetUserRequest{Id: "../../users/me"})
			return err
		}},
		{name: "SQL as an id", ctx: emp, code: inv, message: "id", call: func(ctx context.Context) error {
			_, err := jobs.DeleteJob(ctx, &hmbv1.DeleteJobRequest{Id: "' OR 1=1 --"})
			return err
		}},
		{name: "percent as a job id", ctx: seeker, code: inv, message: "job_id", call: func(ctx context.Context) error {
			_, err := jobs.SaveJob(ctx, &hmbv1.SaveJobRequest{JobId: "%"})
			return err
		}},
		{name: "nil UUID", call: getJob("00000000-0000-0000-0000-000000000000"), code: codes.NotFound, reason: "JOB_NOT_FOUND", message: "no such job"},

		// Enum values out of range, as numbers.
		{name: "island 99", call: listJobs(&hmbv1.ListJobsRequest{Island: []hmbv1.Island{99}}), code: inv, message: "island[0]"},
		{name: "category -1", call: listJobs(&hmbv1.ListJobsRequest{Category: []hmbv1.JobCategory{-1}}), code: inv, message: "category[0]"},
		{name: "job category 99", ctx: emp, code: inv, message: "job.category", call: func(ctx context.Context) error {
			_, err := jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: &hmbv1.Job{Title: "Chef", Description: "Cook.", Category: 99,
				EmploymentType: 1, Island: 1}})
			return err
		}},
		{name: "role 99", call: register(&hmbv1.RegisterRequest{FirstName: "A", Role: 99}), code: inv, message: "role"},
		{name: "sign-up as admin", call: register(&hmbv1.RegisterRequest{FirstName: "A", Role: hmbv1.Role_ROLE_ADMIN}), code: inv, message: "role"},
		{name: "application status 99", ctx: emp, code: inv, message: "status", call: func(ctx context.Context) error {
			_, err := jobs.UpdateApplicationStatus(ctx, &hmbv1.UpdateApplicationStatusRequest{Id: f.application, Status: 99})
			return err
		}},
		{name: "role 42 from an admin", ctx: admin, code: inv, message: "role", call: func(ctx context.Context) error {
			_, err := users.SetUserRole(ctx, &hmbv1.SetUserRoleRequest{Id: b.Rival.User.Id, Role: 42})
			return err
		}},
		{name: "location 1000", ctx: emp, call: updateMe(&hmbv1.User{Location: 1000}, "location"), code: inv, message: "user.location"},

		// Times JSON cannot carry: stored, they would break every REST
		// answer that includes the job.
		{name: "expiry past year 9999", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: &timestamppb.Timestamp{Seconds: 253402300800}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.expire_time"},
		{name: "expiry before year 1", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: &timestamppb.Timestamp{Seconds: math.MinInt64}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.expire_time"},
		{name: "negative nanos", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: &timestamppb.Timestamp{Seconds: time.Now().Unix() + 3600, Nanos: -1}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.expire_time"},
		{name: "output-only time past year 9999", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", UpdateTime: &timestamppb.Timestamp{Seconds: math.MaxInt64}}),
			code: inv, reason: "INVALID_TIMESTAMP", message: "job.update_time"},
		{name: "expiry in year 9999", ctx: emp, call: createJob(&hmbv1.Job{Title: "Chef", ExpireTime: timestamppb.New(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))}),
			code: inv, reason: "INVALID_JOB_EXPIRE_TIME", message: "2 years"},

		// Huge messages.
		{name: "message beyond GRPC_MAX_MSG_BYTES", ctx: emp, code: codes.ResourceExhausted, message: "larger than max",
			call: createJob(&hmbv1.Job{Title: "Chef", Description: strings.Repeat("d", 5<<20)})},
		{name: "100,000-character title", ctx: emp, call: createJob(&hmbv1.Job{Title: strings.Repeat("t", 100_000)}), code: inv, message: "job.title"},
		{name: "10,000-character search", call: listJobs(&hmbv1.ListJobsRequest{Q: strings.Repeat("q", 10_000)}), code: inv, message: "q"},

		// SQL metacharacters are text.
		{name: "SQL in q", code: codes.OK, call: func(ctx context.Context) error {
			resp, err := jobs.ListJobs(ctx, &hmbv1.ListJobsRequest{Q: "' OR 1=1 --"})
			if err == nil && len(resp.Jobs) != 0 {
				return fmt.Errorf("matched %d jobs", len(resp.Jobs))
			}
			return err
		}},
		{name: "percent in a talent search", ctx: emp, code: codes.OK, call: func(ctx context.Context) error {
			resp, err := users.ListUsers(ctx, &hmbv1.ListUsersRequest{Q: "%", Skill: "_"})
			if err == nil && len(resp.Users) != 0 {
				return fmt.Errorf("matched %d users", len(resp.Users))
			}
			return err
		}},
		{name: "SQL as a sign-in email", code: unauth, reason: "INVALID_CREDENTIALS", message: "email or password", call: func(ctx context.Context) error {
			_, err := authn.Login(ctx, &hmbv1.LoginRequest{Email: "' OR 1=1 --", Password: "' OR 1=1 --"})
			return err
		}},
		{name: "refresh without a token", code: unauth, reason: "REFRESH_TOKEN_MISSING", message: "no refresh token was sent", call: func(ctx context.Context) error {
			_, err := authn.Refresh(ctx, &hmbv1.RefreshRequest{})
			return err
		}},

		// Unknown fields are skipped, as protobuf intends: a newer client
		// may send fields this server does not know yet.
		{name: "unknown field", code: codes.OK, call: func(ctx context.Context) error {
			return b.Conn.Invoke(ctx, hmbv1.JobService_GetJobStats_FullMethodName, rawMessage(field(99, []byte("future"))), &hmbv1.JobStats{})
		}},
	}
}
