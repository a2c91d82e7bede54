package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"log/slog"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	if code := tools["version"](nil, nil, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	// go test stamps nothing and records no commit.
	for _, want := range []string{"hiremebahamas dev\n", "commit       unknown\n", "go           " + runtime.Version()} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output %q lacks %q", stdout.String(), want)
		}
	}
	if code := tools["version"]([]string{"--json"}, nil, nil, &stdout, &stderr); code != 2 {
		t.Errorf("version --json: exit %d; want 2", code)
	}
}

// What -ldflags -X stamps is what version prints. The commit stamped
// stands in for the one the toolchain records from a clone, so the build
// records none.
func TestVersionStamped(t *testing.T) {
	t.Parallel()
	bin := filepath.Join(t.TempDir(), "hiremebahamas")
	const pkg = "github.com/hiremebahamas/api/internal/buildinfo"
	build := exec.Command("go", "build", "-buildvcs=false", "-o", bin, "-ldflags",
		"-X "+pkg+".version=v1.2.3 -X "+pkg+".commit=0123456789abcdef -X "+pkg+".buildTime=2026-11-30T12:00:00Z", ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatalf("version: %v", err)
	}
	for _, want := range []string{"hiremebahamas v1.2.3\n", "commit       0123456789abcdef\n", "built        2026-11-30T12:00:00Z\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	// Liveness needs no database: one that is not there will do.
	cfg, err := config.Load("serve", nil, func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?sslmode=disable", "HOST": "127.0.0.1", "PORT": "0"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	app, err := server.New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		app.Close()
	})
	port := strconv.Itoa(app.Addr().(*net.TCPAddr).Port)
	closed := strconv.Itoa(pgtest.FreePort(t))

	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want int
	}{
		{"serving", map[string]string{"PORT": port}, nil, 0},
		{"all interfaces means loopback", map[string]string{"PORT": port, "HOST": "0.0.0.0"}, nil, 0},
		{"the named interface", map[string]string{"PORT": port, "HOST": "127.0.0.1"}, nil, 0},
		{"another path", map[string]string{"PORT": port}, []string{"--path", "/health"}, 0},
		{"a path that is not 200", map[string]string{"PORT": port}, []string{"--path", "/no/such/path"}, 1},
		{"nothing listening", map[string]string{"PORT": closed}, nil, 1},
		{"a port that is not one", map[string]string{"PORT": "http"}, nil, 2},
		{"a path without a slash", map[string]string{"PORT": port}, []string{"--path", "live"}, 2},
		{"an unknown flag", map[string]string{"PORT": port}, []string{"--nope"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			code := tools["probe"](tc.args, func(k string) string { return tc.env[k] }, nil, &bytes.Buffer{}, &stderr)
			if code != tc.want {
				t.Errorf("exit %d (%s); want %d", code, stderr.String(), tc.want)
			}
		})
	}
}

func TestSelfcheck(t *testing.T) {
	t.Parallel()
	root, err := os.ReadFile("testdata/isrg-root-x1.pem")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		stdin []byte
		want  int
	}{
		{"a public root", root, 0},
		{"nothing to verify", nil, 0},
		{"a certificate nobody trusts", selfSigned(t), 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			if code := tools["selfcheck"](nil, nil, bytes.NewReader(tc.stdin), &stdout, &stderr); code != tc.want {
				t.Errorf("exit %d (%s%s); want %d", code, stdout.String(), stderr.String(), tc.want)
			}
		})
	}
}

func selfSigned(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "untrusted"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
