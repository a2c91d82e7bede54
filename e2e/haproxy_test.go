package e2e

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// haproxyPath is Debian's HAProxy, the load balancer of these tests.
const haproxyPath = "/usr/sbin/haproxy"

// Health checks of the balancer: every checkInterval, fall failures in a
// row take a replica out and rise successes bring it back. A draining
// replica is noticed within about checkInterval × (checkFall + 1), which
// replicaDrainDelay must cover, as a deploy's DRAIN_DELAY must cover its
// balancer's equivalent.
const (
	checkInterval     = 250 * time.Millisecond
	checkFall         = 2
	checkRise         = 2
	replicaDrainDelay = 1500 * time.Millisecond
)

// balancer is HAProxy in front of the replicas.
type balancer struct {
	base  string // http://127.0.0.1:port
	stats string // the CSV statistics page
	reps  []*replica
	http  *http.Client
}

// haproxyConfig is what a deploy in front of these replicas should match:
// round robin over every replica that answers /ready, and retries only
// where a request cannot have been acted on twice. A request whose
// connection failed never reached a replica, so it is always retried (on the
// other one: redispatch); one sent but unanswered (the replica closed an
// idle connection as it arrived) is retried only when its method is safe.
const haproxyConfig = `global
	maxconn 2000
	log stderr format raw local0 notice

defaults
	mode http
	log global
	timeout connect 1s
	timeout client 30s
	timeout server 30s
	timeout check 250ms
	retries 3
	option redispatch 1
	retry-on conn-failure empty-response

frontend api
	bind 127.0.0.1:{{port}}
	http-request disable-l7-retry unless METH_GET || METH_HEAD || METH_OPTIONS
	default_backend replicas

backend replicas
	balance roundrobin
	option httpchk
	http-check send meth GET uri /ready
	http-check expect status 200
	default-server check inter {{inter}} fall {{fall}} rise {{rise}}
{{servers}}
listen stats
	bind 127.0.0.1:{{statsport}}
	stats enable
	stats uri /stats
`

// startBalancer runs HAProxy in front of reps and waits until every replica
// is in service.
func startBalancer(t *testing.T, reps []*replica) *balancer {
	t.Helper()
	if _, err := os.Stat(haproxyPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; CI installs Debian's haproxy package: %v", haproxyPath, err)
		}
		t.Skipf("%s is missing (apt-get install haproxy); not testing replicas behind a balancer", haproxyPath)
	}
	port, statsPort := pgtest.FreePort(t), pgtest.FreePort(t)
	var servers strings.Builder
	for _, r := range reps {
		fmt.Fprintf(&servers, "\tserver %s %s\n", r.name, r.addr)
	}
	conf := strings.NewReplacer("{{port}}", strconv.Itoa(port), "{{statsport}}", strconv.Itoa(statsPort),
		"{{inter}}", strconv.Itoa(int(checkInterval.Milliseconds())), "{{fall}}", strconv.Itoa(checkFall),
		"{{rise}}", strconv.Itoa(checkRise), "{{servers}}", servers.String()).Replace(haproxyConfig)
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(haproxyPath, "-db", "-f", path) // -db: in the foreground
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("haproxy:\n%s\nconfiguration:\n%s", out.String(), conf)
		}
	})
	lb := &balancer{base: fmt.Sprintf("http://127.0.0.1:%d", port), stats: fmt.Sprintf("http://127.0.0.1:%d/stats;csv", statsPort),
		reps: reps, http: client()}
	for _, r := range reps {
		lb.waitUp(t, r)
	}
	return lb
}

// state is the balancer's view of a replica: UP, DOWN, or on its way
// ("UP 1/2", "DOWN 1/2"); "" when its statistics cannot be read.
func (lb *balancer) state(name string) string {
	resp, err := lb.http.Get(lb.stats)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	rows, err := csv.NewReader(resp.Body).ReadAll()
	if err != nil || len(rows) == 0 {
		return ""
	}
	col := slices.Index(rows[0], "status")
	for _, row := range rows[1:] {
		if row[0] == "replicas" && row[1] == name && col >= 0 {
			return row[col]
		}
	}
	return ""
}

// waitUp waits until the balancer sends traffic to r.
func (lb *balancer) waitUp(t *testing.T, r *replica) {
	t.Helper()
	within(t, 15*time.Second, func() bool { return lb.state(r.name) == "UP" })
}

// answer is one REST response through the balancer, and the replica that
// gave it.
type answer struct {
	code    int
	replica string
	body    map[string]any
}

// reason is the error reason of a REST error answer.
func (a answer) reason() string {
	e, _ := a.body["error"].(map[string]any)
	s, _ := e["reason"].(string)
	return s
}

func (a answer) str(key string) string {
	s, _ := a.body[key].(string)
	return s
}

// send makes one REST request through the balancer and finds, by its
// request id, which replica's log has it.
func (lb *balancer) send(t *testing.T, method, path, token string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, lb.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := lb.http.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{code: resp.StatusCode}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &a.body); err != nil {
			t.Fatalf("%s %s: %d %q is not JSON", method, path, resp.StatusCode, raw)
		}
	}
	id := resp.Header.Get("X-Request-Id")
	if id == "" {
		t.Fatalf("%s %s: no X-Request-Id", method, path)
	}
	// The log line is written as the response goes out, maybe just after.
	within(t, 5*time.Second, func() bool {
		for _, r := range lb.reps {
			if r.served(id) {
				a.replica = r.name
				return true
			}
		}
		return false
	})
	return a
}
