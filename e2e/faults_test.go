package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// TestDatabaseOutageUnderLoad starts the service before its database, then
// stops and restarts the database while clients keep calling: probes never
// fail, data requests fail fast with 503 while it is away, and the service
// recovers by itself.
func TestDatabaseOutageUnderLoad(t *testing.T) {
	t.Parallel()
	db := pgtest.StartCluster(t)
	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	p := serve(t, db.URL(), map[string]string{"DB_CONNECT_TIMEOUT": "1s", "METRICS_ADDR": "127.0.0.1:0"})
	c := client()
	ctx := context.Background()

	// Started without its database: alive, not ready.
	if code, _ := call(ctx, c, http.MethodGet, p.base+"/health", "", nil, nil); code != http.StatusOK {
		t.Errorf("/health without a database: %d", code)
	}
	if code, _ := call(ctx, c, http.MethodGet, p.base+"/ready/db", "", nil, nil); code != http.StatusServiceUnavailable {
		t.Errorf("/ready/db without a database: %d", code)
	}
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	ready := within(t, 10*time.Second, func() bool {
		code, _ := call(ctx, c, http.MethodGet, p.base+"/ready/db", "", nil, nil)
		return code == http.StatusOK
	})
	t.Logf("ready %s after the database started", ready)
	token := employer(t, p)

	// Load: probes over both transports, and data requests no cache can
	// answer (each search is new).
	health := grpc_health_v1.NewHealthClient(p.grpcConn(t))
	var probes, probeErrors atomic.Int64
	var mu sync.Mutex
	var outcomes []outcome
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range 2 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				code, err := call(ctx, c, http.MethodGet, p.base+"/health", "", nil, nil)
				resp, gerr := health.Check(ctx, &grpc_health_v1.HealthCheckRequest{})
				probes.Add(2)
				if err != nil || code != http.StatusOK {
					probeErrors.Add(1)
				}
				if gerr != nil || resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
					probeErrors.Add(1)
				}
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	for range 6 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				var code int
				var err error
				if n := seq.Add(1); n%4 == 0 {
					_, code, err = postJob(ctx, c, p, token, fmt.Sprintf("Line Cook %d", n))
				} else {
					code, err = call(ctx, c, http.MethodGet, fmt.Sprintf("%s/api/v1/jobs?q=cook+%d", p.base, n), "", nil, nil)
				}
				mu.Lock()
				outcomes = append(outcomes, outcome{at: start, took: time.Since(start), code: code, err: err})
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}

	time.Sleep(time.Second)
	goroutinesBefore := p.gauge(t, "go_goroutines")
	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now() // the database is certainly gone from here
	notReady := within(t, 2*time.Second, func() bool {
		code, _ := call(ctx, c, http.MethodGet, p.base+"/ready/db", "", nil, nil)
		return code == http.StatusServiceUnavailable
	})
	time.Sleep(3 * time.Second)
	// However long it lasts, an outage piles nothing up: no goroutines
	// waiting, no connections held.
	goroutinesDuring, acquired := p.gauge(t, "go_goroutines"), p.gauge(t, "pgxpool_acquired_conns")
	if goroutinesDuring > goroutinesBefore+20 || acquired > 8 {
		t.Errorf("during the outage: %.0f goroutines (%.0f before), %.0f connections held", goroutinesDuring, goroutinesBefore, acquired)
	}
	restarted := time.Now()
	if err := db.Start(); err != nil {
		t.Fatal(err)
	}
	restartTook := time.Since(restarted)
	recovered := within(t, 5*time.Second, func() bool {
		code, _ := call(ctx, c, http.MethodGet, fmt.Sprintf("%s/api/v1/jobs?q=recovery+%d", p.base, seq.Add(1)), "", nil, nil)
		return code == http.StatusOK
	})
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	if n := probeErrors.Load(); n != 0 {
		t.Errorf("%d of %d probes failed during the outage", n, probes.Load())
	}
	var during, failedFast, other []outcome
	for _, o := range outcomes {
		if o.at.After(stopped) && o.at.Add(o.took).Before(restarted) {
			during = append(during, o)
		}
		switch {
		case o.err != nil || (o.code != http.StatusOK && o.code != http.StatusServiceUnavailable):
			other = append(other, o)
		case o.code == http.StatusServiceUnavailable:
			failedFast = append(failedFast, o)
		}
	}
	for _, o := range other {
		t.Errorf("a data request ended with %d, %v (not 200 or 503)", o.code, o.err)
	}
	if len(during) == 0 {
		t.Fatal("no data requests during the outage")
	}
	var slowest time.Duration
	var durations []time.Duration
	for _, o := range during {
		if o.code != http.StatusServiceUnavailable {
			t.Errorf("a data request during the outage answered %d at +%s took %s", o.code, o.at.Sub(stopped), o.took)
		}
		durations = append(durations, o.took)
		slowest = max(slowest, o.took)
	}
	slices.Sort(durations)
	if slowest > time.Second {
		t.Errorf("the slowest failure during the outage took %s; want fail-fast", slowest)
	}
	t.Logf("outage: %d probes, %d failed; /ready/db 503 after %s; %d data requests during the outage, all 503, p50 %s, p99 %s, slowest %s; goroutines %.0f before, %.0f during; %.0f connections held during; database restart took %s; requests succeeded again %s after it was up",
		probes.Load(), probeErrors.Load(), notReady, len(during), durations[len(durations)/2], durations[len(durations)*99/100], slowest,
		goroutinesBefore, goroutinesDuring, acquired, restartTook, recovered)
}

type outcome struct {
	at   time.Time
	took time.Duration
	code int
	err  error
}

// within polls cond until it holds, failing the test after timeout, and
// returns how long it took.
func within(t *testing.T, timeout time.Duration, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for time.Since(start) < timeout {
		if cond() {
			return time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("not within %s", timeout)
	return 0
}

// TestSIGTERMUnderLoad stops the service while clients keep calling and a
// health Watch is open: health turns NOT_SERVING first, every request sent
// before the signal succeeds, and the process exits within its grace period.
func TestSIGTERMUnderLoad(t *testing.T) {
	t.Parallel()
	db := pgtest.StartCluster(t)
	p := serve(t, db.URL(), map[string]string{"DRAIN_DELAY": "700ms", "SHUTDOWN_TIMEOUT": "5s"})
	token := employer(t, p)
	c := client()
	ctx := context.Background()
	if _, code, err := postJob(ctx, c, p, token, "Bell Captain"); err != nil || code != http.StatusOK {
		t.Fatalf("post: %d %v", code, err)
	}

	watch, err := grpc_health_v1.NewHealthClient(p.grpcConn(t)).Watch(ctx, &grpc_health_v1.HealthCheckRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if first, err := watch.Recv(); err != nil || first.Status != grpc_health_v1.HealthCheckResponse_SERVING {
		t.Fatalf("watch: %v %v", first, err)
	}
	notServing := make(chan time.Time, 1)
	go func() {
		for {
			resp, err := watch.Recv()
			if err != nil {
				return
			}
			if resp.Status == grpc_health_v1.HealthCheckResponse_NOT_SERVING {
				notServing <- time.Now()
				return
			}
		}
	}()

	var signalled atomic.Int64 // unix nanos; 0 before the signal
	var sentBefore, failedBefore, sentAfter, refusedAfter atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				before := signalled.Load() == 0
				n := seq.Add(1)
				var code int
				var err error
				if n%5 == 0 {
					_, code, err = postJob(ctx, c, p, token, fmt.Sprintf("Concierge %d", n))
				} else {
					code, err = call(ctx, c, http.MethodGet, fmt.Sprintf("%s/api/v1/jobs?q=concierge+%d", p.base, n), "", nil, nil)
				}
				if before {
					sentBefore.Add(1)
					if err != nil || code != http.StatusOK {
						failedBefore.Add(1)
						t.Errorf("a request sent before the signal: %d %v", code, err)
					}
				} else {
					sentAfter.Add(1)
					if err != nil || code != http.StatusOK {
						refusedAfter.Add(1)
					}
				}
			}
		})
	}
	time.Sleep(time.Second)
	signalAt := time.Now()
	signalled.Store(signalAt.UnixNano())
	p.signal(t, syscall.SIGTERM)
	exitErr := p.wait(t, 10*time.Second)
	exited := time.Since(signalAt)
	close(stop)
	wg.Wait()

	if exitErr != nil {
		t.Errorf("exit: %v", exitErr)
	}
	select {
	case at := <-notServing:
		t.Logf("Watch saw NOT_SERVING %s after the signal", at.Sub(signalAt))
	default:
		t.Error("the open Watch never saw NOT_SERVING")
	}
	if exited > 5*time.Second+time.Second {
		t.Errorf("exited %s after the signal; grace period 5s", exited)
	}
	t.Logf("SIGTERM: %d requests sent before the signal, %d failed; %d sent after, %d refused; exited %s after the signal",
		sentBefore.Load(), failedBefore.Load(), sentAfter.Load(), refusedAfter.Load(), exited)
}

// TestAcknowledgedWritesSurviveKill kills the service with SIGKILL while it
// takes writes: every job whose creation was acknowledged is there after a
// restart.
func TestAcknowledgedWritesSurviveKill(t *testing.T) {
	t.Parallel()
	db := pgtest.StartCluster(t)
	p := serve(t, db.URL(), nil)
	token := employer(t, p)
	c := client()
	ctx := context.Background()

	var mu sync.Mutex
	var acknowledged []string
	var attempts atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 6 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				attempts.Add(1)
				id, code, err := postJob(ctx, c, p, token, fmt.Sprintf("Deckhand %d-%d", w, i))
				if err == nil && code == http.StatusOK {
					mu.Lock()
					acknowledged = append(acknowledged, id)
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	p.signal(t, syscall.SIGKILL)
	_ = p.wait(t, 5*time.Second)
	close(stop)
	wg.Wait()
	if len(acknowledged) < 10 {
		t.Fatalf("only %d writes acknowledged before the kill", len(acknowledged))
	}

	again := serve(t, db.URL(), nil)
	var missing int
	for _, id := range acknowledged {
		if code, err := call(ctx, c, http.MethodGet, again.base+"/api/v1/jobs/"+id, "", nil, nil); err != nil || code != http.StatusOK {
			missing++
			t.Errorf("acknowledged job %s: %d %v", id, code, err)
		}
	}
	t.Logf("kill -9: %d writes attempted, %d acknowledged, %d missing after restart", attempts.Load(), len(acknowledged), missing)
}
