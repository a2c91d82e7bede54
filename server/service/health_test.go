package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
	"github.com/hiremebahamas/api/store"
)

func TestHealthEndpoints(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	client := hmbv1.NewHealthServiceClient(s.Conn)
	ctx := context.Background()

	// gRPC
	live, err := client.CheckLiveness(ctx, &hmbv1.CheckLivenessRequest{})
	if err != nil {
		t.Fatalf("CheckLiveness: %v", err)
	}
	if diff := cmp.Diff(&hmbv1.CheckLivenessResponse{Status: "alive"}, live, protocmp.Transform()); diff != "" {
		t.Errorf("CheckLiveness (-want +got):\n%s", diff)
	}
	serving, err := client.CheckServing(ctx, &hmbv1.CheckServingRequest{})
	if err != nil {
		t.Fatalf("CheckServing: %v", err)
	}
	if diff := cmp.Diff(&hmbv1.CheckServingResponse{Status: "healthy"}, serving, protocmp.Transform()); diff != "" {
		t.Errorf("CheckServing (-want +got):\n%s", diff)
	}
	var db *hmbv1.CheckDatabaseResponse
	servertest.Eventually(t, 10*time.Second, "CheckDatabase succeeds", func() bool {
		db, err = client.CheckDatabase(ctx, &hmbv1.CheckDatabaseRequest{})
		return err == nil
	})
	// go test records no version control and stamps nothing.
	build := &hmbv1.BuildInfo{Version: "dev", Commit: "unknown", GoVersion: runtime.Version()}
	want := &hmbv1.CheckDatabaseResponse{Status: "ready", SchemaVersion: store.LatestSchemaVersion(), PoolMaxConns: 15, Build: build}
	if diff := cmp.Diff(want, db, protocmp.Transform(),
		protocmp.IgnoreFields(&hmbv1.CheckDatabaseResponse{}, "latency_ms", "pool_total_conns", "pool_acquired_conns")); diff != "" {
		t.Errorf("CheckDatabase (-want +got):\n%s", diff)
	}
	if db.LatencyMs <= 0 || db.PoolTotalConns < 1 {
		t.Errorf("CheckDatabase latency %v ms, %d connections: want a measured latency and an open connection", db.LatencyMs, db.PoolTotalConns)
	}

	// REST, with GET and HEAD, and JSON in the protos' field names with zero
	// values present.
	for _, tc := range []struct {
		path string
		want map[string]any
	}{
		{"/live", map[string]any{"status": "alive"}},
		{"/health", map[string]any{"status": "healthy"}},
		{"/ready", map[string]any{"status": "healthy"}},
		{"/ready/db", map[string]any{"status": "ready", "schema_version": strconv.FormatInt(store.LatestSchemaVersion(), 10), "pool_max_conns": 15.0,
			"latency_ms": 0.0, "pool_total_conns": 0.0, "pool_acquired_conns": 0.0,
			"build": map[string]any{"version": "dev", "commit": "unknown", "dirty": false, "go_version": runtime.Version(),
				"commit_time": nil, "build_time": nil}}},
	} {
		code, header, body := s.Do(t, http.MethodGet, tc.path, nil)
		if code != http.StatusOK {
			t.Errorf("GET %s: status %d, body %s", tc.path, code, body)
			continue
		}
		if ct := header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type %q", tc.path, ct)
		}
		got := servertest.Decode(t, body)
		// Measured values vary; their presence is what matters.
		if diff := cmp.Diff(tc.want, got, cmpopts.IgnoreMapEntries(func(k string, _ any) bool {
			return k == "latency_ms" || k == "pool_total_conns" || k == "pool_acquired_conns"
		})); diff != "" {
			t.Errorf("GET %s (-want +got):\n%s", tc.path, diff)
		}
		for k := range tc.want {
			if _, ok := got[k]; !ok {
				t.Errorf("GET %s: field %q missing from %s", tc.path, k, body)
			}
		}

		code, _, body = s.Do(t, http.MethodHead, tc.path, nil)
		if code != http.StatusOK || len(body) != 0 {
			t.Errorf("HEAD %s: status %d, %d body bytes; want 200 and none", tc.path, code, len(body))
		}
	}
}

func TestGRPCHealthProtocol(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	client := grpc_health_v1.NewHealthClient(s.Conn)
	ctx := context.Background()

	for _, service := range []string{"", "hiremebahamas.v1.HealthService"} {
		resp, err := client.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: service})
		if err != nil || resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Errorf("Check(%q) = %v, %v; want SERVING", service, resp, err)
		}
	}
	if _, err := client.Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: "no.such.Service"}); status.Code(err) != codes.NotFound {
		t.Errorf("Check(unknown service) error %v; want NOT_FOUND", err)
	}
	watch, err := client.Watch(ctx, &grpc_health_v1.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := watch.Recv(); err != nil || resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Errorf("Watch first message = %v, %v; want SERVING", resp, err)
	}
}

// The database's state never affects liveness or serving health, and
// readiness follows the database in both directions without a restart.
func TestHealthWithDatabaseOutage(t *testing.T) {
	t.Parallel()
	cluster, err := pgtest.NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Remove)

	// The service starts while the database is down.
	cfg := servertest.Config(cluster.URL())
	cfg.MigrateOnStart = true
	cfg.DBConnectTimeout = time.Second
	s := servertest.Start(t, cfg)
	health := grpc_health_v1.NewHealthClient(s.Conn)
	client := hmbv1.NewHealthServiceClient(s.Conn)
	ctx := context.Background()

	assertAlive := func(phase string) {
		t.Helper()
		for _, path := range []string{"/health", "/live", "/ready"} {
			if code, _, body := s.Do(t, http.MethodGet, path, nil); code != http.StatusOK {
				t.Errorf("%s: GET %s = %d %s; want 200", phase, path, code, body)
			}
		}
		resp, err := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{})
		if err != nil || resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Errorf("%s: gRPC health = %v, %v; want SERVING", phase, resp, err)
		}
	}
	assertNotReady := func(phase string) {
		t.Helper()
		code, _, body := s.Do(t, http.MethodGet, "/ready/db", nil)
		if code != http.StatusServiceUnavailable {
			t.Fatalf("%s: GET /ready/db = %d %s; want 503", phase, code, body)
		}
		e := servertest.DecodeError(t, body)
		if e.Error.Status != "UNAVAILABLE" || e.Error.Reason != "DATABASE_UNAVAILABLE" || e.Error.Message == "" {
			t.Errorf("%s: /ready/db error = %+v; want UNAVAILABLE / DATABASE_UNAVAILABLE with a message", phase, e.Error)
		}
		_, err := client.CheckDatabase(ctx, &hmbv1.CheckDatabaseRequest{})
		if status.Code(err) != codes.Unavailable || servertest.Reason(err) != "DATABASE_UNAVAILABLE" {
			t.Errorf("%s: CheckDatabase error %v (reason %q); want UNAVAILABLE, DATABASE_UNAVAILABLE", phase, err, servertest.Reason(err))
		}
	}
	ready := func() bool {
		code, _, _ := s.Do(t, http.MethodGet, "/ready/db", nil)
		return code == http.StatusOK
	}

	assertAlive("database down at start")
	assertNotReady("database down at start")

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	took := servertest.Eventually(t, 10*time.Second, "/ready/db turns 200 once the database starts", ready)
	t.Logf("ready %s after the database started", took)
	assertAlive("database up")

	if err := cluster.Stop(); err != nil {
		t.Fatal(err)
	}
	took = servertest.Eventually(t, 5*time.Second, "/ready/db turns 503 once the database stops", func() bool { return !ready() })
	t.Logf("not ready %s after the database stopped", took)
	assertAlive("database stopped")
	assertNotReady("database stopped")

	if err := cluster.Start(); err != nil {
		t.Fatal(err)
	}
	took = servertest.Eventually(t, 10*time.Second, "/ready/db turns 200 once the database is back", ready)
	t.Logf("ready %s after the database came back", took)
}

// A burst of readiness checks over both transports is answered by a
// handful of database round trips: probes are not rate-limited, so they
// must not be a way to load the database.
func TestDatabaseCheckIsShared(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.MetricsAddr = "127.0.0.1:0"
	s := servertest.Start(t, cfg)
	client := hmbv1.NewHealthServiceClient(s.Conn)
	ctx := context.Background()
	servertest.Eventually(t, 10*time.Second, "CheckDatabase succeeds", func() bool {
		_, err := client.CheckDatabase(ctx, &hmbv1.CheckDatabaseRequest{})
		return err == nil
	})
	metrics := "http://" + s.App.MetricsAddr().String() + "/metrics"
	acquires := func() float64 { return servertest.Scrape(t, metrics).Value(t, "pgxpool_acquire_count", nil) }

	// Past the second an outcome is kept, the burst finds none and its
	// callers share the checks they start.
	time.Sleep(1100 * time.Millisecond)
	const each = 200
	want := strconv.FormatInt(store.LatestSchemaVersion(), 10)
	before := acquires()
	var wg sync.WaitGroup
	failures := make(chan string, 2*each)
	for range each {
		wg.Go(func() {
			resp, err := s.HTTP.Get(s.Base + "/ready/db")
			if err != nil {
				failures <- fmt.Sprintf("GET /ready/db: %v", err)
				return
			}
			defer resp.Body.Close()
			var got struct {
				SchemaVersion string `json:"schema_version"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK || got.SchemaVersion != want {
				failures <- fmt.Sprintf("GET /ready/db = %d, schema_version %q (%v); want 200 and %s", resp.StatusCode, got.SchemaVersion, err, want)
			}
		})
		wg.Go(func() {
			resp, err := client.CheckDatabase(ctx, &hmbv1.CheckDatabaseRequest{})
			if err != nil {
				failures <- fmt.Sprintf("CheckDatabase: %v", err)
			} else if got := strconv.FormatInt(resp.SchemaVersion, 10); got != want {
				failures <- fmt.Sprintf("CheckDatabase: schema_version %s; want %s", got, want)
			}
		})
	}
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}
	// One check a second at most, and the burst lasts a few seconds at
	// worst on a busy machine.
	n := acquires() - before
	if n > 10 {
		t.Errorf("%d readiness checks took %.0f pool acquires; want a handful", 2*each, n)
	}
	t.Logf("%d concurrent readiness checks, %.0f pool acquires", 2*each, n)
}

func TestReadinessWaitsForMigrations(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	s := servertest.Start(t, servertest.Config(url))

	code, _, body := s.Do(t, http.MethodGet, "/ready/db", nil)
	if code != http.StatusServiceUnavailable {
		t.Fatalf("GET /ready/db on an unmigrated database = %d %s; want 503", code, body)
	}
	if e := servertest.DecodeError(t, body); e.Error.Reason != "SCHEMA_OUTDATED" {
		t.Errorf("reason %q; want SCHEMA_OUTDATED", e.Error.Reason)
	}
	_, err := hmbv1.NewHealthServiceClient(s.Conn).CheckDatabase(context.Background(), &hmbv1.CheckDatabaseRequest{})
	if status.Code(err) != codes.Unavailable || servertest.Reason(err) != "SCHEMA_OUTDATED" {
		t.Errorf("CheckDatabase on an unmigrated database: %v; want UNAVAILABLE SCHEMA_OUTDATED", err)
	}
	servertest.Eventually(t, 5*time.Second, "a log line says why the database is not ready", func() bool {
		for _, rec := range s.Logs.Lines("database not ready; retrying in the background") {
			if strings.Contains(rec["reason"].(string), "schema is at version 0") {
				return true
			}
		}
		return false
	})

	// Another instance migrates; this one notices without a restart.
	cfg := servertest.Config(url)
	cfg.MigrateOnStart = true
	servertest.Start(t, cfg)
	servertest.Eventually(t, 15*time.Second, "/ready/db turns 200 after migrating", func() bool {
		code, _, _ := s.Do(t, http.MethodGet, "/ready/db", nil)
		return code == http.StatusOK
	})
}
