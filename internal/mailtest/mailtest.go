// Package mailtest runs a real Mailpit, the SMTP server and inbox of the
// tests: mail is sent to it over SMTP and read back through its API.
package mailtest

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// Mailpit is one running Mailpit, listening on 127.0.0.1.
type Mailpit struct {
	bin, dir         string
	smtpPort, uiPort int
	logFile          string
	cmd              *exec.Cmd
	exited           chan struct{}
	stop             sync.Once
	client           *http.Client
	// restarted is the process Restart started in its place.
	mu        sync.Mutex
	restarted *Mailpit
}

// Received is one message as Mailpit took it in.
type Received struct {
	ID      string
	To      []string // addresses
	Subject string
	Text    string
	HTML    string
	// Headers are the message's headers as sent (encoded words left
	// encoded), keyed in canonical form such as "List-Unsubscribe".
	Headers map[string][]string
}

var (
	binary     string
	binaryErr  error
	binaryOnce sync.Once
)

// mailpitBinary is the Mailpit pinned in go.mod as a tool, built into the
// Go cache the first time.
func mailpitBinary() (string, error) {
	binaryOnce.Do(func() {
		out, err := exec.Command("go", "tool", "-n", "mailpit").Output()
		if err != nil {
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				err = fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exit.Stderr)))
			}
			binaryErr = fmt.Errorf("go tool -n mailpit: %w", err)
			return
		}
		binary = strings.TrimSpace(string(out))
	})
	return binary, binaryErr
}

// Start starts a Mailpit on free ports, its database in t.TempDir(), and
// stops it when the test ends. Without the tool (no go command, or its
// modules cannot be had) the test is skipped, or fails when CI is set.
func Start(t testing.TB) *Mailpit {
	t.Helper()
	bin, err := mailpitBinary()
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("mailtest: %v", err)
		}
		t.Skipf("mailtest: Mailpit is not available: %v", err)
	}
	dir := t.TempDir()
	// A free port may be taken before Mailpit binds it: try again.
	for attempt := 1; ; attempt++ {
		m, err := start(bin, dir, pgtest.FreePort(t), pgtest.FreePort(t))
		if err == nil {
			m.bin, m.dir = bin, dir
			t.Cleanup(m.Stop)
			return m
		}
		if attempt == 3 {
			t.Fatalf("mailtest: %v", err)
		}
	}
}

func start(bin, dir string, smtpPort, uiPort int) (*Mailpit, error) {
	m := &Mailpit{
		smtpPort: smtpPort,
		uiPort:   uiPort,
		logFile:  filepath.Join(dir, "mailpit.log"),
		exited:   make(chan struct{}),
		client:   &http.Client{Timeout: 10 * time.Second},
	}
	m.cmd = exec.Command(bin,
		"--smtp", net.JoinHostPort("127.0.0.1", strconv.Itoa(smtpPort)),
		"--listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(uiPort)),
		"--database", filepath.Join(dir, "mailpit.db"),
		"--log-file", m.logFile,
		"--smtp-disable-rdns",
		"--disable-version-check",
	)
	if err := m.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting Mailpit: %w", err)
	}
	go func() { _ = m.cmd.Wait(); close(m.exited) }()
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-m.exited:
			return nil, fmt.Errorf("Mailpit exited before it was ready: %s", m.log())
		case <-time.After(20 * time.Millisecond):
		}
		if m.ready() {
			return m, nil
		}
		if time.Now().After(deadline) {
			m.Stop()
			return nil, fmt.Errorf("Mailpit was not ready within 30 s: %s", m.log())
		}
	}
}

// ready reports whether both the API and the SMTP port answer.
func (m *Mailpit) ready() bool {
	resp, err := m.client.Get(m.UIURL() + "/readyz")
	if err != nil {
		return false
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false
	}
	c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(m.smtpPort)), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (m *Mailpit) log() string {
	b, _ := os.ReadFile(m.logFile)
	return strings.TrimSpace(string(b))
}

// Restart starts Mailpit again after Stop, on the same ports and with the
// messages it held: a server that comes back.
func (m *Mailpit) Restart(t testing.TB) {
	t.Helper()
	again, err := start(m.bin, m.dir, m.smtpPort, m.uiPort)
	if err != nil {
		t.Fatalf("mailtest: restart: %v", err)
	}
	again.bin, again.dir = m.bin, m.dir
	m.mu.Lock()
	m.restarted = again
	m.mu.Unlock()
}

// current is the process now serving m's ports.
func (m *Mailpit) current() *Mailpit {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.restarted != nil {
		return m.restarted.current()
	}
	return m
}

// Stop stops Mailpit; later sends to its SMTP URL fail. The test's cleanup
// calls it too.
func (m *Mailpit) Stop() { m.current().stopProcess() }

func (m *Mailpit) stopProcess() {
	m.stop.Do(func() {
		_ = m.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-m.exited:
		case <-time.After(10 * time.Second):
			_ = m.cmd.Process.Kill()
			<-m.exited
		}
	})
}

// SMTPURL is the SMTP_URL that reaches it (plain text; it offers no STARTTLS).
func (m *Mailpit) SMTPURL() string {
	return "smtp://127.0.0.1:" + strconv.Itoa(m.smtpPort)
}

// UIURL is the address of its web UI and API.
func (m *Mailpit) UIURL() string {
	return "http://127.0.0.1:" + strconv.Itoa(m.uiPort)
}

type address struct {
	Name    string
	Address string
}

// Messages returns every message received so far, newest first.
func (m *Mailpit) Messages(t testing.TB) []Received {
	t.Helper()
	summaries, err := m.list()
	if err != nil {
		t.Fatalf("mailtest: %v", err)
	}
	out := make([]Received, 0, len(summaries))
	for _, s := range summaries {
		r, err := m.message(s.ID)
		if err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		out = append(out, r)
	}
	return out
}

// WaitFor returns the newest message to the address to, waiting up to
// timeout for one to arrive; without one the test fails.
func (m *Mailpit) WaitFor(t testing.TB, to string, timeout time.Duration) Received {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		summaries, err := m.list()
		if err != nil {
			t.Fatalf("mailtest: %v", err)
		}
		for _, s := range summaries {
			for _, a := range s.To {
				if strings.EqualFold(a.Address, to) {
					r, err := m.message(s.ID)
					if err != nil {
						t.Fatalf("mailtest: %v", err)
					}
					return r
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("mailtest: no message to %s within %s (%d others)", to, timeout, len(summaries))
		}
		time.Sleep(25 * time.Millisecond)
	}
}

type summary struct {
	ID string
	To []address
}

// list returns the summaries of all messages, newest first.
func (m *Mailpit) list() ([]summary, error) {
	var page struct {
		Messages []summary `json:"messages"`
	}
	// Mailpit keeps 500 messages by default: one page holds them all.
	if err := m.get("/api/v1/messages?limit=500", &page); err != nil {
		return nil, err
	}
	return page.Messages, nil
}

// message reads one message and its headers.
func (m *Mailpit) message(id string) (Received, error) {
	var full struct {
		ID      string
		To      []address
		Subject string
		Text    string
		HTML    string
	}
	path := "/api/v1/message/" + url.PathEscape(id)
	if err := m.get(path, &full); err != nil {
		return Received{}, err
	}
	r := Received{ID: full.ID, Subject: full.Subject, Text: full.Text, HTML: full.HTML}
	for _, a := range full.To {
		r.To = append(r.To, a.Address)
	}
	if err := m.get(path+"/headers", &r.Headers); err != nil {
		return Received{}, err
	}
	return r, nil
}

func (m *Mailpit) get(path string, into any) error {
	resp, err := m.client.Get(m.UIURL() + path)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	return nil
}
