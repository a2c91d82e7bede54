package server_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/hiremebahamas/api/config"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// converge is how long another instance may take to serve a write: well
// above the 1 s it is meant to take, and below the 5 s an instance kept
// answers before it followed other instances' writes.
const converge = 3 * time.Second

// replica is a second instance of the board's service on its database.
type replica struct {
	*servertest.Service
	jobs hmbv1.JobServiceClient
}

func startReplica(t *testing.T, cfg config.Config) *replica {
	t.Helper()
	s := servertest.Start(t, cfg)
	return &replica{Service: s, jobs: hmbv1.NewJobServiceClient(s.Conn)}
}

// waitForLog waits for the instance to log msg, and reports it missing.
func (r *replica) waitForLog(t *testing.T, msg string, n int) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for len(r.Logs.Lines(msg)) < n && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	lines := r.Logs.Lines(msg)
	if len(lines) < n {
		t.Errorf("logged %q %d times; want %d", msg, len(lines), n)
	}
	return lines
}

// titles reads job id and the list of jobs on island, over REST and gRPC,
// with token (none: anonymously), and returns the job's title as each of
// the four answers has it ("" where it is missing).
func (r *replica) titles(t *testing.T, token, id string, island hmbv1.Island) []string {
	t.Helper()
	ctx := context.Background()
	if token != "" {
		ctx = metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token)
	}
	out := make([]string, 4)
	var got struct{ Title string }
	if code, _ := r.Call(t, http.MethodGet, "/api/v1/jobs/"+id, token, nil, &got); code != http.StatusOK {
		t.Fatalf("REST GET job: %d", code)
	}
	out[0] = got.Title
	j, err := r.jobs.GetJob(ctx, &hmbv1.GetJobRequest{Id: id})
	if err != nil {
		t.Fatalf("gRPC GetJob: %v", err)
	}
	out[1] = j.Title
	var page struct {
		Jobs []struct{ ID, Title string } `json:"jobs"`
	}
	if code, _ := r.Call(t, http.MethodGet, "/api/v1/jobs?island="+island.String(), token, nil, &page); code != http.StatusOK {
		t.Fatalf("REST list: %d", code)
	}
	for _, pj := range page.Jobs {
		if pj.ID == id {
			out[2] = pj.Title
		}
	}
	list, err := r.jobs.ListJobs(ctx, &hmbv1.ListJobsRequest{Island: []hmbv1.Island{island}})
	if err != nil {
		t.Fatalf("gRPC ListJobs: %v", err)
	}
	for _, pj := range list.Jobs {
		if pj.Id == id {
			out[3] = pj.Title
		}
	}
	return out
}

// cached reads the job and its list anonymously until every answer has
// title, and then once more, so that the instance keeps them.
func (r *replica) cached(t *testing.T, id string, island hmbv1.Island, title string) {
	t.Helper()
	r.serves(t, "", id, island, title)
	r.titles(t, "", id, island)
}

// serves waits until every answer to token has the title.
func (r *replica) serves(t *testing.T, token, id string, island hmbv1.Island, title string) {
	t.Helper()
	want := []string{title, title, title, title}
	var got []string
	servertest.Eventually(t, converge, "the other instance serving "+title, func() bool {
		got = r.titles(t, token, id, island)
		return slices.Equal(got, want)
	})
}

// retitle changes a job's title, as the service's employer or with SQL.
type retitle func(t *testing.T, b *servertest.Board, id, title string)

var writers = []struct {
	name  string
	write retitle
}{
	{"REST on the other instance", func(t *testing.T, b *servertest.Board, id, title string) {
		if code, _ := b.Call(t, http.MethodPatch, "/api/v1/jobs/"+id, b.Employer.AccessToken, map[string]any{"title": title}, nil); code != http.StatusOK {
			t.Fatalf("PATCH: %d", code)
		}
	}},
	{"gRPC on the other instance", func(t *testing.T, b *servertest.Board, id, title string) {
		if _, err := b.Jobs.UpdateJob(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateJobRequest{
			Job: &hmbv1.Job{Id: id, Title: title}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
		}); err != nil {
			t.Fatalf("UpdateJob: %v", err)
		}
	}},
	{"SQL from outside the service", func(t *testing.T, b *servertest.Board, id, title string) {
		execSQL(t, b.URL, `UPDATE jobs SET title = $2, version = version + 1 WHERE id = $1`, id, title)
	}},
}

// execSQL runs SQL on the database at url, as an operator would.
func execSQL(t *testing.T, url, statement string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, statement, args...); err != nil {
		t.Fatal(err)
	}
}

// TestReplicasFollowEachOthersWrites runs two instances on one database: a
// write through one, or by anyone else, is served by the other within a
// second or so, over REST and gRPC, whether it listens for the database's
// notifications or polls for them.
func TestReplicasFollowEachOthersWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, cfg *config.Config)
		mode    string
		attrKey string
		attrVal string
	}{
		{"listening on DATABASE_URL", func(*testing.T, *config.Config) {}, "listening", "via", "DATABASE_URL"},
		{"listening on DATABASE_DIRECT_URL", func(_ *testing.T, cfg *config.Config) { cfg.DatabaseDirectURL = cfg.DatabaseURL },
			"listening", "via", "DATABASE_DIRECT_URL"},
		{"polling", func(_ *testing.T, cfg *config.Config) { cfg.CacheInvalidation = "poll" }, "polling", "reason", "CACHE_INVALIDATION=poll"},
		// LISTEN on another database hears nothing, as LISTEN through a
		// transaction-mode pooler does: the instance finds out and polls.
		{"LISTEN that never delivers", func(t *testing.T, cfg *config.Config) { cfg.DatabaseDirectURL = pgtest.NewEmptyDatabase(t) },
			"polling", "reason", "never delivers"},
		// A transaction-mode pooler: LISTEN through it is never delivered,
		// and a direct URL beside it is listened on.
		{"behind PgBouncer", func(t *testing.T, cfg *config.Config) {
			cfg.DatabaseURL = pgtest.StartPgBouncer(t, cfg.DatabaseURL).URL
		},
			"polling", "reason", "never delivers"},
		{"behind PgBouncer with a direct URL", func(t *testing.T, cfg *config.Config) {
			cfg.DatabaseDirectURL = cfg.DatabaseURL
			cfg.DatabaseURL = pgtest.StartPgBouncer(t, cfg.DatabaseURL).URL
		}, "listening", "via", "DATABASE_DIRECT_URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a := servertest.NewBoard(t)
			cfg := servertest.Config(a.URL)
			tc.setup(t, &cfg)
			b := startReplica(t, cfg)
			if lines := b.waitForLog(t, "board cache invalidation: "+tc.mode, 1); len(lines) > 0 {
				if v, _ := lines[0][tc.attrKey].(string); !strings.Contains(v, tc.attrVal) {
					t.Errorf("logged %v; want %s %q", lines[0], tc.attrKey, tc.attrVal)
				}
			}
			island := hmbv1.Island_ISLAND_ELEUTHERA
			job := a.Post(t, &hmbv1.Job{Title: "Pineapple Farm Hand", Island: island})
			title := job.Title
			for _, w := range writers {
				b.cached(t, job.Id, island, title)
				title = "Pineapple Farm Hand, " + w.name
				w.write(t, a, job.Id, title)
				b.serves(t, "", job.Id, island, title)
			}
		})
	}
}

// TestOwnerReadsOwnWriteOnAnyReplica: an employer or admin who changed a
// job gets it as stored on every instance at once, however long word of the
// write takes to reach it, and never from a browser's or CDN's copy; job
// seekers and visitors keep sharing the cache.
func TestOwnerReadsOwnWriteOnAnyReplica(t *testing.T) {
	t.Parallel()
	a := servertest.NewBoard(t)
	b := startReplica(t, servertest.Config(a.URL))
	island := hmbv1.Island_ISLAND_ANDROS
	job := a.Post(t, &hmbv1.Job{Title: "Bonefish Lodge Cook", Island: island})
	want := func(title string) []string { return []string{title, title, title, title} }

	// Written on A, read on B straight after, over both transports.
	b.cached(t, job.Id, island, job.Title)
	writers[0].write(t, a, job.Id, "Bonefish Lodge Head Cook")
	if got := b.titles(t, a.Employer.AccessToken, job.Id, island); !slices.Equal(got, want("Bonefish Lodge Head Cook")) {
		t.Errorf("the owner reads on the other instance at once: %q", got)
	}
	b.serves(t, "", job.Id, island, "Bonefish Lodge Head Cook")

	// A write no instance hears of: only what the cache keeps can be older.
	b.cached(t, job.Id, island, "Bonefish Lodge Head Cook")
	execSQL(t, a.URL, `BEGIN; ALTER TABLE jobs DISABLE TRIGGER jobs_updated_announce;
		UPDATE jobs SET title = 'Bonefish Lodge Chef', version = version + 1 WHERE id = '`+job.Id+`';
		ALTER TABLE jobs ENABLE TRIGGER jobs_updated_announce; COMMIT`)
	for _, who := range []struct{ name, token string }{{"the owner", a.Employer.AccessToken}, {"an admin", a.Admin}} {
		if got := b.titles(t, who.token, job.Id, island); !slices.Equal(got, want("Bonefish Lodge Chef")) {
			t.Errorf("%s reads past the cache: %q", who.name, got)
		}
	}
	if got := b.titles(t, a.Seeker.AccessToken, job.Id, island); !slices.Equal(got, want("Bonefish Lodge Head Cook")) {
		t.Errorf("a job seeker's reads are still shared: %q", got)
	}

	// No browser or CDN keeps a copy of the owner's answer (TestCaching
	// checks that the public copy is not handed to them either).
	for _, path := range []string{"/api/v1/jobs/" + job.Id, "/api/v1/jobs?island=" + island.String()} {
		code, h, _ := b.Do(t, http.MethodGet, path, nil, "Authorization", "Bearer "+a.Employer.AccessToken)
		if code != http.StatusOK || h.Get("Cache-Control") != "private, no-store" || h.Get("ETag") != "" {
			t.Errorf("the owner's GET %s: %d, Cache-Control %q, ETag %q", path, code, h.Get("Cache-Control"), h.Get("ETag"))
		}
	}
}

// TestBoardListenerSurvivesConnectionLoss cuts the listeners' sessions: a
// write made while they are gone is still served everywhere, and so is one
// made once they are back.
func TestBoardListenerSurvivesConnectionLoss(t *testing.T) {
	t.Parallel()
	a := servertest.NewBoard(t)
	b := startReplica(t, servertest.Config(a.URL))
	b.waitForLog(t, "board cache invalidation: listening", 1)
	island := hmbv1.Island_ISLAND_BIMINI
	job := a.Post(t, &hmbv1.Job{Title: "Shark Lab Volunteer", Island: island})
	b.cached(t, job.Id, island, job.Title)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, a.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	listeners := func() []int32 {
		rows, _ := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'hiremebahamas-listener'`)
		pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			t.Fatal(err)
		}
		return pids
	}
	cut := listeners()
	if len(cut) != 2 {
		t.Fatalf("listener sessions: %v; want one per instance", cut)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid`, cut); err != nil {
		t.Fatal(err)
	}
	writers[1].write(t, a, job.Id, "Shark Lab Research Volunteer")
	b.serves(t, "", job.Id, island, "Shark Lab Research Volunteer")

	servertest.Eventually(t, 20*time.Second, "new listener sessions", func() bool {
		now := listeners()
		return len(now) == 2 && !slices.Contains(cut, now[0]) && !slices.Contains(cut, now[1])
	})
	b.waitForLog(t, "board cache invalidation: listening", 2)
	b.waitForLog(t, "board cache listener unavailable; polling until it is back", 1)
	b.cached(t, job.Id, island, "Shark Lab Research Volunteer")
	writers[1].write(t, a, job.Id, "Shark Lab Research Assistant")
	b.serves(t, "", job.Id, island, "Shark Lab Research Assistant")
}
