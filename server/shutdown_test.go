package server_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// On shutdown, health turns NOT_SERVING first while requests are still
// served, a request in flight completes, and open streams do not hold the
// process past its grace period.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.DrainDelay = 700 * time.Millisecond
	cfg.ShutdownTimeout = 20 * time.Second
	s := servertest.Start(t, cfg)
	health := grpc_health_v1.NewHealthClient(s.Conn)

	watch, err := health.Watch(context.Background(), &grpc_health_v1.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := watch.Recv(); err != nil || resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("Watch = %v, %v; want SERVING", resp, err)
	}

	// A REST request whose body is still arriving when shutdown begins.
	bodyReader, bodyWriter := io.Pipe()
	inFlight := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, s.Base+"/ready/db", bodyReader)
		resp, err := s.HTTP.Do(req)
		if err != nil {
			t.Errorf("in-flight request failed: %v", err)
			inFlight <- 0
			return
		}
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	if _, err := bodyWriter.Write([]byte("{")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server start reading the request

	stopAt := time.Now()
	s.Stop()

	servertest.Eventually(t, cfg.DrainDelay, "gRPC health reports NOT_SERVING", func() bool {
		resp, err := health.Check(context.Background(), &grpc_health_v1.HealthCheckRequest{})
		return err == nil && resp.Status == grpc_health_v1.HealthCheckResponse_NOT_SERVING
	})
	if resp, err := watch.Recv(); err != nil || resp.Status != grpc_health_v1.HealthCheckResponse_NOT_SERVING {
		t.Errorf("Watch after shutdown began = %v, %v; want NOT_SERVING", resp, err)
	}
	code, _, body := s.Do(t, http.MethodGet, "/health", nil)
	if e := servertest.DecodeError(t, body); code != http.StatusServiceUnavailable || e.Error.Reason != "SHUTTING_DOWN" {
		t.Errorf("GET /health while draining = %d %s; want 503 SHUTTING_DOWN", code, body)
	}
	if code, _, body := s.Do(t, http.MethodGet, "/live", nil); code != http.StatusOK {
		t.Errorf("GET /live while draining = %d %s; want 200: the process is still alive", code, body)
	}

	time.Sleep(cfg.DrainDelay) // the listeners are closing; the request is still open
	bodyWriter.Write([]byte("}"))
	bodyWriter.Close()
	if got := <-inFlight; got != http.StatusOK {
		t.Errorf("in-flight request finished with %d; want 200", got)
	}

	select {
	case err := <-s.Done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s with a Watch stream open")
	}
	t.Logf("stopped %s after the signal, with a Watch stream open", time.Since(stopAt).Round(time.Millisecond))
	if _, err := watch.Recv(); err == nil {
		t.Error("Watch stream still open after shutdown")
	}
	s.Done <- nil // for the cleanup, which waits on it too
}
