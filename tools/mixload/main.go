// Command mixload puts a mixed workload on the REST API at a fixed arrival
// rate, with vegeta, and writes a report: error rate and latency
// percentiles per endpoint, memory and goroutines before and after, and a
// latency-percentile chart per endpoint (gonum/plot, SVG).
//
// The mix: 80% job reads, 15% lists and searches, 5% writes (sign-ins,
// applications and new jobs).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "mixload:", err)
		os.Exit(1)
	}
}

type options struct {
	base, metrics, out       string
	rate                     int
	duration, sample, settle time.Duration
	ids, targets, seekers    string
	employers                string
	pid                      int
	password                 string
}

func run() error {
	var o options
	flag.StringVar(&o.base, "base", "http://127.0.0.1:18080", "the service's REST base URL")
	flag.StringVar(&o.metrics, "metrics", "", "the service's Prometheus endpoint, for goroutines")
	flag.IntVar(&o.pid, "pid", 0, "the service's process id, for memory")
	flag.StringVar(&o.out, "out", "bench-report", "directory for the report and charts")
	flag.IntVar(&o.rate, "rate", 400, "requests per second")
	flag.DurationVar(&o.duration, "duration", 60*time.Second, "how long to keep the rate")
	flag.DurationVar(&o.sample, "sample", 10*time.Second, "how often to record memory and goroutines")
	flag.DurationVar(&o.settle, "settle", 5*time.Second, "pause after the load before the final readings")
	flag.StringVar(&o.ids, "ids", "", "file of open job ids to read")
	flag.StringVar(&o.targets, "apply-to", "", "file of open job ids nobody has applied to")
	flag.StringVar(&o.seekers, "seekers", "", "file of job seekers' emails")
	flag.StringVar(&o.employers, "employers", "", "file of employers' emails")
	flag.StringVar(&o.password, "password", "hiremebahamas-demo", "the seeded accounts' password")
	flag.Parse()

	ids, err := readLines(o.ids)
	if err != nil {
		return err
	}
	applyTo, err := readLines(o.targets)
	if err != nil {
		return err
	}
	seekers, err := readLines(o.seekers)
	if err != nil {
		return err
	}
	employers, err := readLines(o.employers)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}

	// Sessions for the writes, opened before the clock starts.
	seekerTokens, err := signIn(o.base, seekers[:min(len(seekers), 50)], o.password)
	if err != nil {
		return err
	}
	employerTokens, err := signIn(o.base, employers[:min(len(employers), 10)], o.password)
	if err != nil {
		return err
	}

	mix := &mix{base: o.base, ids: ids, applyTo: applyTo, seekers: seekers, password: o.password,
		seekerTokens: seekerTokens, employerTokens: employerTokens}
	before := readProcess(o.pid, o.metrics)
	samples := []sample{{at: 0, process: before}}
	stopSampling := make(chan struct{})
	var samplesMu sync.Mutex
	start := time.Now()
	go func() {
		tick := time.NewTicker(o.sample)
		defer tick.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tick.C:
				s := sample{at: time.Since(start), process: readProcess(o.pid, o.metrics)}
				samplesMu.Lock()
				samples = append(samples, s)
				samplesMu.Unlock()
			}
		}
	}()

	attacker := vegeta.NewAttacker(vegeta.Timeout(10*time.Second), vegeta.KeepAlive(true),
		vegeta.Connections(64), vegeta.MaxWorkers(512), vegeta.MaxBody(256))
	byEndpoint := map[string]*endpoint{}
	var order []string
	for res := range attacker.Attack(mix.next, vegeta.Rate{Freq: o.rate, Per: time.Second}, o.duration, "mixed") {
		name := classify(res.Method, res.URL)
		e := byEndpoint[name]
		if e == nil {
			e = &endpoint{name: name, codes: map[uint16]int{}}
			byEndpoint[name] = e
			order = append(order, name)
		}
		e.add(res, mix.expected(res))
	}
	elapsed := time.Since(start)
	close(stopSampling)
	time.Sleep(o.settle)
	after := readProcess(o.pid, o.metrics)
	samplesMu.Lock()
	samples = append(samples, sample{at: time.Since(start), process: after})
	samplesMu.Unlock()

	slices.Sort(order)
	endpoints := make([]*endpoint, 0, len(order))
	for _, name := range order {
		endpoints = append(endpoints, byEndpoint[name])
	}
	rep := report{rate: o.rate, duration: o.duration, elapsed: elapsed, endpoints: endpoints,
		before: before, after: after, samples: samples}
	return rep.write(o.out)
}

func readLines(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("every input file is required; see -h")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s is empty", path)
	}
	return out, sc.Err()
}

// signIn opens a session for each account and returns the access tokens.
func signIn(base string, emails []string, password string) ([]string, error) {
	var tokens []string
	for _, email := range emails {
		body, _ := json.Marshal(map[string]string{"email": email, "password": password})
		resp, err := http.Post(base+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		var session struct {
			AccessToken string `json:"access_token"`
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &session) != nil {
			return nil, fmt.Errorf("sign in as %s: %d %s", email, resp.StatusCode, raw)
		}
		tokens = append(tokens, session.AccessToken)
	}
	return tokens, nil
}

// mix chooses each request.
type mix struct {
	base           string
	ids, applyTo   []string
	seekers        []string
	password       string
	seekerTokens   []string
	employerTokens []string
	applied        atomic.Int64
	created        atomic.Int64
}

var (
	islands = []string{"NEW_PROVIDENCE", "GRAND_BAHAMA", "ABACO", "ELEUTHERA", "EXUMA", "ANDROS", "BIMINI", "LONG_ISLAND"}
	popular = []string{"bartender", "chef", "nurse", "teller", "developer", "captain", "dive", "front desk", "accountant", "electrician", "guide", "security", "cashier"}
)

func (m *mix) next(t *vegeta.Target) error {
	t.Header = http.Header{}
	t.Body = nil
	t.Method = http.MethodGet
	r := rand.Float64()
	switch {
	case r < 0.80: // a job
		t.URL = m.base + "/api/v1/jobs/" + m.ids[rand.IntN(len(m.ids))]
	case r < 0.87: // an island's newest jobs
		t.URL = m.base + "/api/v1/jobs?island=ISLAND_" + islands[rand.IntN(len(islands))]
	case r < 0.92: // a popular search
		t.URL = m.base + "/api/v1/jobs?q=" + strings.ReplaceAll(popular[rand.IntN(len(popular))], " ", "+")
	case r < 0.95: // a search nobody made before
		t.URL = fmt.Sprintf("%s/api/v1/jobs?q=%s&island=ISLAND_%s&page_size=%d", m.base,
			strings.ReplaceAll(popular[rand.IntN(len(popular))], " ", "+"), islands[rand.IntN(len(islands))], 1+rand.IntN(100))
	case r < 0.9667: // sign in
		t.Method, t.URL = http.MethodPost, m.base+"/api/v1/auth/login"
		t.Body, _ = json.Marshal(map[string]string{"email": m.seekers[rand.IntN(len(m.seekers))], "password": m.password})
	case r < 0.9833: // apply, each time to a job nobody applied to
		n := int(m.applied.Add(1)-1) % len(m.applyTo)
		t.Method, t.URL = http.MethodPost, m.base+"/api/v1/jobs/"+m.applyTo[n]+"/applications"
		t.Header.Set("Authorization", "Bearer "+m.seekerTokens[n%len(m.seekerTokens)])
		t.Body = []byte(`{"cover_letter":"I have five years behind the bar at Atlantis and know every rum on the island."}`)
	default: // post a job
		n := m.created.Add(1)
		t.Method, t.URL = http.MethodPost, m.base+"/api/v1/jobs"
		t.Header.Set("Authorization", "Bearer "+m.employerTokens[int(n)%len(m.employerTokens)])
		t.Body, _ = json.Marshal(map[string]any{
			"title": "Pool Attendant " + strconv.FormatInt(n, 10), "company": "Coral Harbour Resort",
			"description": "Towels, loungers and a smile, from nine to five.", "category": "JOB_CATEGORY_HOSPITALITY",
			"employment_type": "EMPLOYMENT_TYPE_SEASONAL", "island": "ISLAND_" + islands[rand.IntN(len(islands))],
		})
	}
	if t.Body != nil {
		t.Header.Set("Content-Type", "application/json")
	}
	return nil
}

// expected reports whether a result is a success for its kind of request.
func (m *mix) expected(r *vegeta.Result) bool { return r.Error == "" && r.Code == http.StatusOK }

// classify names the endpoint of a request.
func classify(method, url string) string {
	path, query, _ := strings.Cut(url[strings.Index(url, "/api/"):], "?")
	switch {
	case method == http.MethodPost && path == "/api/v1/auth/login":
		return "POST login"
	case method == http.MethodPost && strings.HasSuffix(path, "/applications"):
		return "POST apply"
	case method == http.MethodPost && path == "/api/v1/jobs":
		return "POST job"
	case path == "/api/v1/jobs" && strings.Contains(query, "page_size="):
		return "GET search (new)"
	case path == "/api/v1/jobs" && strings.Contains(query, "q="):
		return "GET search (popular)"
	case path == "/api/v1/jobs":
		return "GET list by island"
	case strings.HasPrefix(path, "/api/v1/jobs/"):
		return "GET job"
	}
	return method + " " + path
}

// endpoint gathers one endpoint's results.
type endpoint struct {
	name      string
	latencies []time.Duration
	codes     map[uint16]int
	errors    map[string]int
	failed    int
}

func (e *endpoint) add(r *vegeta.Result, ok bool) {
	e.latencies = append(e.latencies, r.Latency)
	e.codes[r.Code]++
	if !ok {
		e.failed++
		if e.errors == nil {
			e.errors = map[string]int{}
		}
		msg := r.Error
		if msg == "" {
			msg = strconv.Itoa(int(r.Code)) + " " + strings.TrimSpace(string(r.Body[:min(len(r.Body), 160)]))
		}
		e.errors[msg]++
	}
}

// percentile returns the q-quantile of sorted durations.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q * float64(len(sorted)))
	return sorted[min(i, len(sorted)-1)]
}

// process is a reading of the service's memory and goroutines.
type process struct {
	rssKB, peakKB int64
	goroutines    int64
}

type sample struct {
	at      time.Duration
	process process
}

func readProcess(pid int, metrics string) process {
	var p process
	if pid > 0 {
		if raw, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status")); err == nil {
			for _, line := range strings.Split(string(raw), "\n") {
				fields := strings.Fields(line)
				if len(fields) < 2 {
					continue
				}
				n, _ := strconv.ParseInt(fields[1], 10, 64)
				switch fields[0] {
				case "VmRSS:":
					p.rssKB = n
				case "VmHWM:":
					p.peakKB = n
				}
			}
		}
	}
	if metrics != "" {
		if resp, err := http.Get(metrics); err == nil {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
					f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
					p.goroutines = int64(f)
				}
			}
			resp.Body.Close()
		}
	}
	return p
}
