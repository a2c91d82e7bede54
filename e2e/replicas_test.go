package e2e

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// replica is one instance on a fixed port, so that it can be restarted
// where the balancer expects it.
type replica struct {
	name string
	addr string // 127.0.0.1:port
	env  map[string]string
	db   string
	proc *process
}

// startReplicas starts two instances, "a" and "b", on one database.
func startReplicas(t *testing.T, databaseURL string, env map[string]string) []*replica {
	t.Helper()
	var reps []*replica
	for _, name := range []string{"a", "b"} {
		port := pgtest.FreePort(t)
		e := map[string]string{"PORT": strconv.Itoa(port), "DRAIN_DELAY": replicaDrainDelay.String(), "SHUTDOWN_TIMEOUT": "10s"}
		for k, v := range env {
			e[k] = v
		}
		r := &replica{name: name, addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), env: e, db: databaseURL}
		r.proc = serve(t, databaseURL, e)
		reps = append(reps, r)
	}
	// Both migrate on start: until the one that migrates is done, the
	// other refuses data requests (SCHEMA_OUTDATED).
	for _, r := range reps {
		within(t, 15*time.Second, func() bool {
			code, _ := call(context.Background(), client(), http.MethodGet, r.proc.base+"/ready/db", "", nil, nil)
			return code == http.StatusOK
		})
	}
	return reps
}

// restart starts the replica again, on its port, once its process has
// exited.
func (r *replica) restart(t *testing.T) {
	t.Helper()
	r.proc = serve(t, r.db, r.env)
}

// served reports whether the replica's current process logged the REST
// request with this id.
func (r *replica) served(id string) bool {
	return strings.Contains(r.proc.logs.String(), `"request_id":"`+id+`"`)
}

// TestReplicasBehindBalancer runs the account and job flows through a
// round-robin balancer over two replicas on one database, each step landing
// on the other replica than the one before: whatever one replica did, the
// other knows, since the state is in PostgreSQL.
func TestReplicasBehindBalancer(t *testing.T) {
	t.Parallel()
	db := pgtest.StartCluster(t)
	lb := startBalancer(t, startReplicas(t, db.URL(), nil))

	var path []string // the replica of each request, in order
	send := func(method, url, token string, body any) answer {
		t.Helper()
		a := lb.send(t, method, url, token, body)
		if n := len(path); n > 0 && path[n-1] == a.replica {
			t.Errorf("%s %s landed on %s, as the request before it did; want round robin", method, url, a.replica)
		}
		path = append(path, a.replica)
		return a
	}
	const password = "correct horse battery staple"
	email := fmt.Sprintf("seeker-%d@example.com", time.Now().UnixNano())

	// Sign up on one replica, sign in on the other.
	reg := send(http.MethodPost, "/api/v1/auth/register", "", map[string]any{
		"email": email, "password": password, "first_name": "Tia", "last_name": "Knowles", "role": "ROLE_JOB_SEEKER"})
	if reg.code != http.StatusOK {
		t.Fatalf("register on %s: %d %v", reg.replica, reg.code, reg.body)
	}
	login := send(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	if login.code != http.StatusOK || login.str("refresh_token") == "" {
		t.Fatalf("login on %s of an account registered on %s: %d %v", login.replica, reg.replica, login.code, login.body)
	}
	if me := send(http.MethodGet, "/api/v1/users/me", login.str("access_token"), nil); me.code != http.StatusOK {
		t.Errorf("GET /users/me on %s with a token from %s: %d %v", me.replica, login.replica, me.code, me.body)
	}

	// Refresh rotation: the token rotated on one replica works on the other.
	first := send(http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": login.str("refresh_token")})
	if first.code != http.StatusOK {
		t.Fatalf("refresh on %s: %d %v", first.replica, first.code, first.body)
	}
	second := send(http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.str("refresh_token")})
	if second.code != http.StatusOK {
		t.Fatalf("refresh on %s with the token rotated on %s: %d %v", second.replica, first.replica, second.code, second.body)
	}

	// Reuse detection: the spent token, replayed on the replica that did
	// not spend it, ends the whole family there and everywhere.
	replay := send(http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": first.str("refresh_token")})
	if replay.code != http.StatusUnauthorized || replay.reason() != "REFRESH_TOKEN_REUSED" {
		t.Errorf("replay on %s of a token spent on %s: %d %q; want 401 REFRESH_TOKEN_REUSED", replay.replica, second.replica, replay.code, replay.reason())
	}
	latest := send(http.MethodPost, "/api/v1/auth/refresh", "", map[string]any{"refresh_token": second.str("refresh_token")})
	if latest.code != http.StatusUnauthorized {
		t.Errorf("the family's newest token on %s after a replay on %s: %d %v; want 401", latest.replica, replay.replica, latest.code, latest.body)
	}
	seeker := send(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	if seeker.code != http.StatusOK {
		t.Fatalf("sign in again on %s: %d %v", seeker.replica, seeker.code, seeker.body)
	}

	// An employer posts a job on one replica; the seeker applies on the other.
	emp := send(http.MethodPost, "/api/v1/auth/register", "", map[string]any{
		"email": "hr-" + email, "password": password, "first_name": "Rex", "last_name": "Major", "role": "ROLE_EMPLOYER"})
	if emp.code != http.StatusOK {
		t.Fatalf("register the employer on %s: %d %v", emp.replica, emp.code, emp.body)
	}
	empToken := emp.str("access_token")
	job := send(http.MethodPost, "/api/v1/jobs", empToken, map[string]any{
		"title": "Dive Instructor", "company": "Stuart Cove's", "description": "Reef and wreck dives off New Providence.",
		"category": "JOB_CATEGORY_HOSPITALITY", "employment_type": "EMPLOYMENT_TYPE_FULL_TIME", "island": "ISLAND_NEW_PROVIDENCE"})
	jobID := job.str("id")
	if job.code != http.StatusOK || jobID == "" {
		t.Fatalf("post a job on %s: %d %v", job.replica, job.code, job.body)
	}
	applied := send(http.MethodPost, "/api/v1/jobs/"+jobID+"/applications", seeker.str("access_token"), map[string]any{"cover_letter": "PADI certified."})
	if applied.code != http.StatusOK {
		t.Fatalf("apply on %s to a job posted on %s: %d %v", applied.replica, job.replica, applied.code, applied.body)
	}
	apps := send(http.MethodGet, "/api/v1/jobs/"+jobID+"/applications", empToken, nil)
	if list, _ := apps.body["applications"].([]any); apps.code != http.StatusOK || len(list) != 1 {
		t.Errorf("the employer's applications on %s after applying on %s: %d %v; want the one", apps.replica, applied.replica, apps.code, apps.body)
	}
	// The public board answers from each replica's cache, which another
	// replica's write reaches through the database's notifications (or
	// its polling, within a second): wait for it, generously.
	within(t, 10*time.Second, func() bool {
		list := send(http.MethodGet, "/api/v1/jobs?q=reef+wreck", "", nil)
		jobs, _ := list.body["jobs"].([]any)
		return list.code == http.StatusOK && len(jobs) == 1
	})

	// Lockout: failed sign-ins spread over both replicas count together.
	failures := map[string]int{}
	for range 5 {
		a := send(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": "not the password"})
		if a.code != http.StatusUnauthorized {
			t.Fatalf("a wrong password on %s: %d %v; want 401", a.replica, a.code, a.body)
		}
		failures[a.replica]++
	}
	locked := send(http.MethodPost, "/api/v1/auth/login", "", map[string]any{"email": email, "password": password})
	if locked.code != http.StatusTooManyRequests || locked.reason() != "TOO_MANY_LOGIN_ATTEMPTS" {
		t.Errorf("the right password on %s after failures %v: %d %q; want 429 TOO_MANY_LOGIN_ATTEMPTS", locked.replica, failures, locked.code, locked.reason())
	}
	if failures["a"] == 0 || failures["b"] == 0 {
		t.Errorf("failed sign-ins per replica: %v; want both", failures)
	}
	t.Logf("%d requests through the balancer, by replica in order: %s", len(path), strings.Join(path, ""))
}

// TestRollingRestartUnderLoad restarts one replica, then the other, while
// clients keep reading and writing through the balancer: each replica is
// told to stop (SIGTERM), drains, exits and starts again, and not one
// request fails.
func TestRollingRestartUnderLoad(t *testing.T) {
	t.Parallel()
	db := pgtest.StartCluster(t)
	reps := startReplicas(t, db.URL(), nil)
	lb := startBalancer(t, reps)
	token := employer(t, reps[0].proc)
	front := &process{base: lb.base} // postJob's target: the balancer
	c := client()
	ctx := context.Background()
	seedID, code, err := postJob(ctx, c, front, token, "Night Auditor")
	if err != nil || code != http.StatusOK {
		t.Fatalf("post: %d %v", code, err)
	}

	var total, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var seq atomic.Int64
	for range 6 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := seq.Add(1)
				var what string
				var code int
				var err error
				switch n % 5 {
				case 0: // a write
					what = "POST /api/v1/jobs"
					_, code, err = postJob(ctx, c, front, token, fmt.Sprintf("Night Auditor %d", n))
				case 1: // a search no cache has answered yet
					what = "GET /api/v1/jobs?q=auditor"
					code, err = call(ctx, c, http.MethodGet, fmt.Sprintf("%s/api/v1/jobs?q=auditor+%d", lb.base, n), "", nil, nil)
				case 2:
					what = "GET /api/v1/users/me"
					code, err = call(ctx, c, http.MethodGet, lb.base+"/api/v1/users/me", token, nil, nil)
				default:
					what = "GET /api/v1/jobs/{id}"
					code, err = call(ctx, c, http.MethodGet, lb.base+"/api/v1/jobs/"+seedID, "", nil, nil)
				}
				total.Add(1)
				if err != nil || code != http.StatusOK {
					failed.Add(1)
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%s at %s: %d %v", what, time.Now().Format("15:04:05.000"), code, err))
					mu.Unlock()
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}

	time.Sleep(time.Second)
	for _, r := range reps {
		before := total.Load()
		r.proc.signal(t, syscall.SIGTERM)
		if err := r.proc.wait(t, 15*time.Second); err != nil {
			t.Errorf("replica %s exited with %v", r.name, err)
		}
		t.Logf("replica %s stopped (%d requests so far); restarting it", r.name, before)
		r.restart(t)
		lb.waitUp(t, r)
		// Back in service: the new process gets its share of the load.
		within(t, 10*time.Second, func() bool { return requestsServed(r.proc) > 0 })
	}
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()

	for _, f := range failures {
		t.Errorf("failed during the rolling restart: %s", f)
	}
	t.Logf("rolling restart: %d requests through the balancer (a fifth of them writes), %d failed", total.Load(), failed.Load())
}

// requestsServed counts the REST requests in a process's log.
func requestsServed(p *process) int {
	n := 0
	sc := bufio.NewScanner(strings.NewReader(p.logs.String()))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"transport":"rest"`) {
			n++
		}
	}
	return n
}
