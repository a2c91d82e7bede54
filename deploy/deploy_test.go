// Package deploy_test checks what the deploy files promise against the
// binary itself: the Dockerfile's image (built as it builds it, run in an
// empty root), render.yaml and the Kubernetes manifests (their settings,
// probe ports and paths, and shutdown timings).
package deploy_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hiremebahamas/api/config"
)

// repoRoot holds the Dockerfile, render.yaml and the Makefile.
const repoRoot = ".."

// stampedVersion is the VERSION the image test builds with.
const stampedVersion = "v0.0.0-imagetest"

var (
	buildDir string
	static   struct {
		once sync.Once
		path string
		err  error
	}
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hmb-deploy-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// staticBinary builds the binary as the Dockerfile does, with make static,
// once for the package.
func staticBinary(t *testing.T) string {
	t.Helper()
	static.once.Do(func() {
		static.path = filepath.Join(buildDir, "hiremebahamas")
		cmd := exec.Command("make", "-s", "static", "BIN="+static.path, "VERSION="+stampedVersion)
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			static.err = fmt.Errorf("make static: %v\n%s", err, out)
		}
	})
	if static.err != nil {
		t.Fatal(static.err)
	}
	return static.path
}

// knownSettings are the variables the binary reads: every name config asks
// its environment for, and the Go runtime's own.
func knownSettings() map[string]bool {
	known := map[string]bool{"GOMEMLIMIT": true, "GOMAXPROCS": true}
	_, _ = config.Load("serve", nil, func(name string) string {
		known[name] = true
		return ""
	})
	return known
}

// Test values for what deploy files leave to secrets.
var testSecrets = map[string]string{
	"DATABASE_URL":        "postgres://app@127.0.0.1:1/none?sslmode=disable", // nobody there: probes must not need it
	"DATABASE_DIRECT_URL": "postgres://app@127.0.0.1:1/none?sslmode=disable",
	"JWT_SECRET_KEY":      "deploy-test-signing-key-Tq8vW3xN6pL1sZ9m",
	"SMTP_URL":            "smtps://apikey:deploy-test@127.0.0.1:1", // nobody there either
}

// loadConfig checks env as the binary would for command.
func loadConfig(t *testing.T, command string, env map[string]string) config.Config {
	t.Helper()
	cfg, err := config.Load(command, nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatalf("the settings do not pass the binary's checks for %s:\n%v", command, err)
	}
	return cfg
}

// checkKnown fails for each name the binary does not read.
func checkKnown(t *testing.T, where string, names []string) {
	t.Helper()
	known := knownSettings()
	if !known["PORT"] || !known["DATABASE_URL"] {
		t.Fatal("config.Load asked for neither PORT nor DATABASE_URL")
	}
	for _, n := range names {
		if !known[n] {
			t.Errorf("%s sets %s, which the binary does not read", where, n)
		}
	}
}

// process is the binary serving, started by serve.
type process struct {
	base string // http://127.0.0.1:port
	addr string // 127.0.0.1:port
	logs *strings.Builder
}

// serve starts cmd, a serve command in production mode listening on
// 127.0.0.1:0, and waits until it says where it listens.
func serve(t *testing.T, cmd *exec.Cmd) *process {
	t.Helper()
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	p := &process{logs: &strings.Builder{}}
	var mu sync.Mutex
	ready := make(chan string, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			mu.Lock()
			p.logs.WriteString(sc.Text() + "\n")
			mu.Unlock()
			var entry struct{ Msg, Rest string }
			if json.Unmarshal(sc.Bytes(), &entry) == nil && strings.HasPrefix(entry.Msg, "HireMeBahamas API ready") {
				select {
				case ready <- entry.Rest:
				default:
				}
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-done
		if t.Failed() {
			mu.Lock()
			t.Logf("service logs:\n%s", p.logs)
			mu.Unlock()
		}
	})
	select {
	case p.base = <-ready:
		p.addr = strings.TrimPrefix(p.base, "http://")
	case <-done:
		t.Fatalf("%v exited before serving:\n%s", cmd.Args, p.logs)
	case <-time.After(30 * time.Second):
		t.Fatalf("%v did not start serving:\n%s", cmd.Args, p.logs)
	}
	return p
}

// get answers GET path's status code.
func (p *process) get(t *testing.T, path string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(p.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// environ turns settings into an exec environment, with nothing inherited.
func environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
