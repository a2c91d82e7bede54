// Package e2e runs the built binary against a real PostgreSQL and breaks
// things around it: the database stops, the process is told to stop, the
// process is killed.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// binary is the service, built once for the package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hmb-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "hiremebahamas")
	build := exec.Command("go", "build", "-o", binary, "github.com/hiremebahamas/api/cmd/hiremebahamas")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is a running service.
type process struct {
	cmd     *exec.Cmd
	base    string // http://host:port
	addr    string // host:port, for gRPC
	metrics string // the Prometheus endpoint, when METRICS_ADDR is set
	logs    *lines
	done    chan error
}

// settings every started service gets, unless a test overrides them.
var baseEnv = map[string]string{
	"ENV":            "production",
	"FRONTEND_URL":   "https://hiremebahamas.com",
	"API_URL":        "https://api.hiremebahamas.com",
	"JWT_SECRET_KEY": "e2e-signing-key-Qm7vT2xK9pL4sW8nR1cZ",
	"SMTP_URL":       "smtp://127.0.0.1:1", // nothing sends mail yet
	// No background jobs: the queue's own loops would only add load to
	// the timing of the fault tests.
	"WORKERS":          "0",
	"MAIL_FROM":        "HireMeBahamas <no-reply@hiremebahamas.com>",
	"HOST":             "127.0.0.1",
	"PORT":             "0",
	"MIGRATE_ON_START": "true",
	"RATE_LIMIT":       "0",
	"AUTH_RATE_LIMIT":  "0",
	"DRAIN_DELAY":      "0s",
	"LOG_LEVEL":        "info",
	// Production keeps unverified employers from publishing; with no
	// workers no verification mail goes out, and these tests publish jobs.
	"REQUIRE_VERIFIED_EMAIL": "false",

	// Every test's client is 127.0.0.1; the limits have tests of their own.
	"RATE_LIMIT_OFF_ALLOWED": "true",
}

// viaPgBouncer, set by E2E_VIA_PGBOUNCER=1, puts a PgBouncer in transaction
// mode between every served process and its database, as hosted databases'
// pooled URLs do; the process gets the database itself as
// DATABASE_DIRECT_URL.
var viaPgBouncer = os.Getenv("E2E_VIA_PGBOUNCER") == "1"

// serve starts the binary with the database at url and waits until it
// listens. It is killed when the test ends, if still running.
func serve(t *testing.T, url string, env map[string]string) *process {
	t.Helper()
	return start(t, "serve", url, env)
}

// readyMessages begin the log line each command writes when it is ready.
var readyMessages = map[string]string{"serve": "HireMeBahamas API ready", "worker": "HireMeBahamas worker ready"}

// start runs the binary's command (serve or worker) and waits until it is
// ready.
func start(t *testing.T, command, url string, env map[string]string) *process {
	t.Helper()
	cmd := exec.Command(binary, command)
	if viaPgBouncer {
		cmd.Env = append(os.Environ(), "DATABASE_URL="+pgtest.StartPgBouncer(t, url).URL, "DATABASE_DIRECT_URL="+url)
	} else {
		cmd.Env = append(os.Environ(), "DATABASE_URL="+url)
	}
	for k, v := range baseEnv {
		if _, ok := env[k]; !ok {
			cmd.Env = append(cmd.Env, k+"="+v)
		}
	}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, logs: &lines{}, done: make(chan error, 1)}
	ready := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			p.logs.add(line)
			var entry struct{ Msg, Rest, Metrics string }
			if json.Unmarshal([]byte(line), &entry) == nil && strings.HasPrefix(entry.Msg, readyMessages[command]) {
				select {
				case ready <- [2]string{entry.Rest, entry.Metrics}:
				default:
				}
			}
		}
		p.done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("service logs:\n%s", p.logs)
		}
	})
	select {
	case urls := <-ready:
		p.base, p.metrics = urls[0], urls[1]
		p.addr = strings.TrimPrefix(p.base, "http://")
	case <-time.After(30 * time.Second):
		t.Fatalf("hiremebahamas %s did not start:\n%s", command, p.logs)
	}
	return p
}

// gauge reads one unlabelled series from the process's metrics.
func (p *process) gauge(t *testing.T, name string) float64 {
	t.Helper()
	resp, err := http.Get(p.metrics)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("no %s in the metrics", name)
	return 0
}

// grpcConn dials the process's gRPC side.
func (p *process) grpcConn(t *testing.T) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(p.addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// signal sends sig to the process.
func (p *process) signal(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
}

// wait returns the process's exit error, or fails the test after timeout.
func (p *process) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("the process did not exit within %s", timeout)
		return nil
	}
}

// lines collects log lines safely.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) add(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, s)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}

// client is an HTTP client with keep-alive and a bound on every request.
func client() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
}

// call sends a JSON request and decodes a JSON answer into out.
func call(ctx context.Context, c *http.Client, method, url, token string, body, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s: %w", raw, err)
		}
	}
	return resp.StatusCode, nil
}

// employer registers an employer, once the service is ready, and returns
// its access token.
func employer(t *testing.T, p *process) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, _ := call(context.Background(), client(), http.MethodGet, p.base+"/ready/db", "", nil, nil)
		if code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready within 15s: /ready/db %d", code)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var session struct {
		AccessToken string `json:"access_token"`
	}
	email := fmt.Sprintf("employer-%d@example.com", time.Now().UnixNano())
	code, err := call(context.Background(), client(), http.MethodPost, p.base+"/api/v1/auth/register", "", map[string]any{
		"email": email, "password": "correct horse battery staple", "first_name": "Ada", "last_name": "Rolle",
		"role": "ROLE_EMPLOYER",
	}, &session)
	if err != nil || code != http.StatusOK || session.AccessToken == "" {
		t.Fatalf("register: %d %v", code, err)
	}
	return session.AccessToken
}

// postJob creates an open job and returns its id.
func postJob(ctx context.Context, c *http.Client, p *process, token, title string) (string, int, error) {
	var job struct{ ID string }
	code, err := call(ctx, c, http.MethodPost, p.base+"/api/v1/jobs", token, map[string]any{
		"title": title, "company": "Conch Shack Ltd", "description": "Fresh conch salad, all day.", "category": "JOB_CATEGORY_HOSPITALITY",
		"employment_type": "EMPLOYMENT_TYPE_FULL_TIME", "island": "ISLAND_NEW_PROVIDENCE",
	}, &job)
	return job.ID, code, err
}
