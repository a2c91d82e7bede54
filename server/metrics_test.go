package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// RPCs are counted by code and transport, REST requests by method, route
// template and status (those that never reach gRPC included), and the pool,
// runtime and process are reported, all on the admin listener only.
func TestMetrics(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.MetricsAddr = "127.0.0.1:0"
	cfg.MaxBodyBytes = 4096
	s := servertest.Start(t, cfg)
	if s.App.MetricsAddr() == nil {
		t.Fatal("MetricsAddr() = nil with METRICS_ADDR set")
	}
	admin := "http://" + s.App.MetricsAddr().String()
	missingJob := randomUUID()
	noise := rand.Text() // in paths only: it must reach no label

	for _, tc := range []struct {
		method, path string
		body         []byte
		want         int
	}{
		{http.MethodGet, "/health", nil, 200},
		{http.MethodHead, "/health", nil, 200},
		{http.MethodGet, "/api/v1/jobs/" + missingJob, nil, 404},
		{http.MethodPost, "/api/v1/auth/login", []byte("{not json"), 400},
		{http.MethodGet, "/no/such/route/" + noise, nil, 404},
		{http.MethodDelete, "/health", nil, 405},
		{"PURGE", "/health/" + noise, nil, 404},
		{http.MethodPost, "/api/v1/auth/login", bytes.Repeat([]byte("a"), 5000), 413},
	} {
		var body io.Reader
		var header []string
		if tc.body != nil {
			body = bytes.NewReader(tc.body)
			header = []string{"Content-Type", "application/json"}
		}
		if code, _, raw := s.Do(t, tc.method, tc.path, body, header...); code != tc.want {
			t.Fatalf("%s %s = %d %s; want %d", tc.method, tc.path, code, raw, tc.want)
		}
	}
	ctx := context.Background()
	if _, err := hmbv1.NewJobServiceClient(s.Conn).GetJob(ctx, &hmbv1.GetJobRequest{Id: missingJob}); status.Code(err) != codes.NotFound {
		t.Fatalf("gRPC GetJob(missing) error %v; want NotFound", err)
	}
	if _, err := hmbv1.NewHealthServiceClient(s.Conn).CheckServing(ctx, &hmbv1.CheckServingRequest{}); err != nil {
		t.Fatalf("gRPC CheckServing: %v", err)
	}

	m := servertest.Scrape(t, admin+"/metrics")
	for _, tc := range []struct {
		service, method, code, transport string
		want                             float64
	}{
		{"hiremebahamas.v1.JobService", "GetJob", "NotFound", "rest", 1},
		{"hiremebahamas.v1.JobService", "GetJob", "NotFound", "grpc", 1},
		{"hiremebahamas.v1.HealthService", "CheckServing", "OK", "rest", 2}, // GET and HEAD
		{"hiremebahamas.v1.HealthService", "CheckServing", "OK", "grpc", 1},
	} {
		labels := map[string]string{"grpc_service": tc.service, "grpc_method": tc.method, "grpc_code": tc.code, "transport": tc.transport}
		if got := m.Value(t, "grpc_server_handled_total", labels); got != tc.want {
			t.Errorf("grpc_server_handled_total%v = %v; want %v", labels, got, tc.want)
		}
	}
	if got := m.HistogramCount(t, "grpc_server_handling_seconds", map[string]string{
		"grpc_service": "hiremebahamas.v1.JobService", "grpc_method": "GetJob", "transport": "rest"}); got != 1 {
		t.Errorf("grpc_server_handling_seconds count for REST GetJob = %d; want 1", got)
	}

	for _, tc := range []struct {
		method, route, code string
	}{
		{"GET", "/health", "200"},
		{"HEAD", "/health", "200"},
		{"GET", "/api/v1/jobs/{id}", "404"},
		{"POST", "/api/v1/auth/login", "400"}, // refused by the gateway before any RPC
		{"GET", "unrouted", "404"},
		{"DELETE", "unrouted", "405"},
		{"OTHER", "unrouted", "404"},
		{"POST", "unrouted", "413"},
	} {
		labels := map[string]string{"method": tc.method, "route": tc.route, "code": tc.code}
		if got := m.Value(t, "http_server_requests_total", labels); got != 1 {
			t.Errorf("http_server_requests_total%v = %v; want 1", labels, got)
		}
		if got := m.HistogramCount(t, "http_server_request_duration_seconds", labels); got != 1 {
			t.Errorf("http_server_request_duration_seconds%v count = %d; want 1", labels, got)
		}
	}
	// Labels come from a bounded set, never from what clients put in paths.
	for _, name := range []string{"http_server_requests_total", "http_server_request_duration_seconds"} {
		for _, metric := range m[name].GetMetric() {
			for _, l := range metric.GetLabel() {
				if strings.Contains(l.GetValue(), noise) || strings.Contains(l.GetValue(), missingJob) {
					t.Errorf("%s has a label from a request path: %s=%q", name, l.GetName(), l.GetValue())
				}
			}
		}
	}

	// The pool's gauges and counters, read at scrape time.
	if got := m.Value(t, "pgxpool_max_conns", nil); got != float64(cfg.DBMaxConns) {
		t.Errorf("pgxpool_max_conns = %v; want %d", got, cfg.DBMaxConns)
	}
	if got := m.Value(t, "pgxpool_total_conns", nil); got < 1 {
		t.Errorf("pgxpool_total_conns = %v; want at least the connection the calls used", got)
	}
	if got := m.Value(t, "pgxpool_acquire_count", nil); got < 1 {
		t.Errorf("pgxpool_acquire_count = %v; want the acquires of the calls", got)
	}
	for _, name := range []string{"pgxpool_acquired_conns", "pgxpool_idle_conns", "pgxpool_empty_acquire", "pgxpool_empty_acquire_wait_time_ns",
		"pgxpool_acquire_duration_ns", "pgxpool_canceled_acquire_count", "pgxpool_new_conns_count", "pgxpool_max_idle_destroy_count",
		"pgxpool_max_lifetime_destroy_count", "go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes"} {
		if _, ok := m[name]; !ok {
			t.Errorf("%s is missing", name)
		}
	}

	// The running build; go test stamps nothing and records no commit.
	build := map[string]string{"version": "dev", "commit": "unknown", "go_version": runtime.Version()}
	if got := m.Value(t, "hiremebahamas_build_info", build); got != 1 {
		t.Errorf("hiremebahamas_build_info%v = %v; want 1", build, got)
	}

	// Profiles on the admin listener, without the command line (flags may
	// carry secrets).
	for path, want := range map[string]int{"/debug/pprof/": 200, "/debug/pprof/heap?debug=1": 200, "/debug/pprof/cmdline": 404} {
		if code := get(t, admin+path); code != want {
			t.Errorf("admin GET %s = %d; want %d", path, code, want)
		}
	}
	// Nothing of it on the public port.
	for _, path := range []string{"/metrics", "/debug/pprof/", "/debug/pprof/heap"} {
		code, _, raw := s.Do(t, http.MethodGet, path, nil)
		if code != http.StatusNotFound {
			t.Errorf("public GET %s = %d; want 404", path, code)
			continue
		}
		if e := servertest.DecodeError(t, raw); e.Error.Reason != "ROUTE_NOT_FOUND" {
			t.Errorf("public GET %s: reason %q; want ROUTE_NOT_FOUND", path, e.Error.Reason)
		}
	}
}

// Without METRICS_ADDR there is no admin listener, and the public port still
// has no /metrics.
func TestMetricsOffByDefault(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	if addr := s.App.MetricsAddr(); addr != nil {
		t.Errorf("MetricsAddr() = %v with METRICS_ADDR empty; want no admin listener", addr)
	}
	if code, _, _ := s.Do(t, http.MethodGet, "/metrics", nil); code != http.StatusNotFound {
		t.Errorf("GET /metrics = %d; want 404", code)
	}
}

func get(t *testing.T, url string) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// randomUUID returns a version 4 UUID.
func randomUUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
