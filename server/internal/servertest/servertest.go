// Package servertest starts the whole service on real sockets over a real
// PostgreSQL, for the black-box tests of server/ and its rooms, and gives
// them clients for both transports.
package servertest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/server"
	"github.com/hiremebahamas/api/store"
)

// Service is a running App and clients for both of its transports.
type Service struct {
	App  *server.App
	Base string // REST base URL
	Conn *grpc.ClientConn
	HTTP *http.Client
	Logs *SyncBuffer

	Stop func() // begins graceful shutdown
	Done chan error
}

// Secret signs access tokens in tests.
const Secret = "test-signing-key-0123456789abcdefghijkl"

// Config is the configuration tests start from: a free port, no drain
// delay, and no rate limits (every test client shares 127.0.0.1; the limits
// have tests of their own).
func Config(databaseURL string) config.Config {
	cfg, err := config.Load("serve", nil, func(name string) string {
		return map[string]string{"DATABASE_URL": databaseURL, "PORT": "0", "DRAIN_DELAY": "0s", "LOG_LEVEL": "debug",
			"JWT_SECRET_KEY": Secret}[name]
	})
	if err != nil {
		panic(err)
	}
	cfg.Host = "127.0.0.1"
	cfg.RateLimit, cfg.AuthRateLimit = 0, 0
	// No background jobs unless a test asks for them: each App's queue
	// polls and elects a leader, load that hundreds of parallel Apps need
	// not carry.
	cfg.Workers = 0
	return cfg
}

// Start runs the service with cfg until the test ends.
func Start(t testing.TB, cfg config.Config, opts ...server.Option) *Service {
	t.Helper()
	logs := &SyncBuffer{}
	app, err := server.New(context.Background(), cfg, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: cfg.LogLevel})), opts...)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{App: app, Base: "http://" + app.Addr().String(), Logs: logs, Stop: cancel, Done: make(chan error, 1),
		HTTP: &http.Client{Timeout: 10 * time.Second}}
	go func() { s.Done <- app.Run(ctx) }()
	s.Conn, err = grpc.NewClient(app.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.Done:
		case <-time.After(30 * time.Second):
			t.Error("service did not stop within 30s")
		}
		s.Conn.Close()
		app.Close()
		if t.Failed() {
			t.Logf("service logs:\n%s", logs.String())
		}
	})
	return s
}

// Do sends a REST request and returns the status, headers and body.
func (s *Service) Do(t *testing.T, method, path string, body io.Reader, header ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.Base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// Decode parses a JSON body into a generic map.
func Decode(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("body is not JSON: %v: %q", err, b)
	}
	return m
}

// RestError is the JSON error shape.
type RestError struct {
	Error struct {
		Code      int    `json:"code"`
		Status    string `json:"status"`
		Reason    string `json:"reason"`
		Message   string `json:"message"`
		RequestID string `json:"request_id"`
	} `json:"error"`
}

func DecodeError(t *testing.T, b []byte) RestError {
	t.Helper()
	var e RestError
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		t.Fatalf("error body does not have the error shape: %v: %q", err, b)
	}
	return e
}

// Eventually polls cond until it holds or the timeout passes.
func Eventually(t *testing.T, timeout time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	Start := time.Now()
	for !cond() {
		if time.Since(Start) > timeout {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(Start)
}

// SyncBuffer is a bytes.Buffer safe for the logger and the test to share.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Lines returns the parsed log records whose msg is msg.
func (b *SyncBuffer) Lines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(b.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// Call sends a JSON REST request with an optional bearer token and decodes
// the JSON response into out (when non-nil).
func (s *Service) Call(t *testing.T, method, path, token string, body any, out any) (int, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.Base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %q: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode, resp.Header
}

// OpenStore opens the service's database directly, as an operator would.
func OpenStore(t testing.TB, url string) *store.Store {
	t.Helper()
	st, err := store.Open(store.Options{DatabaseURL: url, MaxConns: 1, ConnectTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}
