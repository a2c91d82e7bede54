package e2e

import (
	"context"
	"net/http"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	_ "google.golang.org/grpc/health" // the client side of healthCheckConfig
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/resolver"
	"google.golang.org/grpc/resolver/manual"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
)

// replicaServiceConfig is what internal gRPC tools should dial with (see
// the README): a connection to every replica, calls spread round robin,
// and only over replicas whose health service says SERVING.
const replicaServiceConfig = `{"loadBalancingConfig": [{"round_robin": {}}], "healthCheckConfig": {"serviceName": ""}}`

// TestGRPCClientBalancing spreads a gRPC client's calls over both replicas,
// then stops one: while it drains it reports NOT_SERVING, and the client
// stops sending it calls before it closes its listener, without a call
// failing.
func TestGRPCClientBalancing(t *testing.T) {
	t.Parallel()
	db := pgtest.StartCluster(t)
	// Drain long enough for a busy machine (CI runs every package at once)
	// to make the run of calls below before the replica exits.
	reps := startReplicas(t, db.URL(), map[string]string{"DRAIN_DELAY": "8s"})
	a, b := reps[0], reps[1]

	// Tests resolve the replicas' addresses themselves; in a cluster,
	// dns:/// and a headless service do.
	res := manual.NewBuilderWithScheme("replicas")
	res.InitialState(resolver.State{Addresses: []resolver.Address{{Addr: a.addr}, {Addr: b.addr}}})
	conn, err := grpc.NewClient("replicas:///hiremebahamas", grpc.WithResolvers(res),
		grpc.WithTransportCredentials(insecure.NewCredentials()), grpc.WithDefaultServiceConfig(replicaServiceConfig))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	jobs := hmbv1.NewJobServiceClient(conn)
	var calls, failed int
	// list makes one call and returns the replica that answered it.
	list := func() string {
		t.Helper()
		time.Sleep(time.Millisecond)
		calls++
		var p peer.Peer
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := jobs.ListJobs(ctx, &hmbv1.ListJobsRequest{}, grpc.Peer(&p)); err != nil {
			failed++
			t.Errorf("call %d: %v", calls, err)
			return ""
		}
		for _, r := range reps {
			if p.Addr.String() == r.addr {
				return r.name
			}
		}
		t.Fatalf("call %d answered by %s, neither replica", calls, p.Addr)
		return ""
	}

	reached := map[string]int{}
	within(t, 10*time.Second, func() bool {
		reached[list()]++
		return reached["a"] > 0 && reached["b"] > 0
	})

	a.proc.signal(t, syscall.SIGTERM)
	signalled := time.Now()
	// Skipped: enough calls in a row reach b alone, while a is still
	// draining and would take a call (its listener is open).
	var run int
	for run < 50 {
		switch list() {
		case "a":
			run = 0
		case "b":
			run++
		}
		if exited(a.proc) {
			t.Fatalf("calls still reached the draining replica when it exited, %s after SIGTERM", time.Since(signalled))
		}
	}
	skipped := time.Since(signalled)
	if code, err := call(context.Background(), client(), http.MethodGet, "http://"+a.addr+"/live", "", nil, nil); err != nil || code != http.StatusOK {
		t.Fatalf("the draining replica no longer answers /live (%d, %v): calls left it because it closed, not because it said NOT_SERVING", code, err)
	}

	// Until a exits, and after, every call succeeds and none reaches a.
	var after int
	for !exited(a.proc) {
		if r := list(); r == "a" {
			t.Errorf("call %d reached the draining replica after the client had left it", calls)
		}
		after++
	}
	for range 20 {
		list()
		after++
	}
	t.Logf("%d calls, %d failed; calls left the draining replica %s after SIGTERM (drain delay 8s); %d calls after that, all to b",
		calls, failed, skipped.Round(time.Millisecond), after)
}

// exited reports whether the process has ended, without waiting.
func exited(p *process) bool {
	select {
	case err := <-p.done:
		p.done <- err // for wait and the cleanup
		return true
	default:
		return false
	}
}
