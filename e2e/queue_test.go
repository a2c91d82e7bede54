package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hiremebahamas/api/internal/mailtest"
	"github.com/hiremebahamas/api/internal/pgtest"
)

// silentSMTP accepts connections and never answers: a mail server that
// hangs, so that a worker sending to it is caught mid-delivery.
func silentSMTP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu   sync.Mutex
		held []net.Conn
	)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	return "smtp://" + l.Addr().String()
}

// A worker killed with SIGKILL while delivering leaves its job running;
// River's rescue hands it to another worker, which delivers it. The killed
// worker never finished its send, so the mail arrives exactly once: at least
// once is the promise, and a duplicate could come only from a worker killed
// after the SMTP server accepted the mail and before the job was marked done.
func TestKilledWorkerJobIsDelivered(t *testing.T) {
	t.Parallel()
	url := pgtest.StartCluster(t).URL()
	mp := mailtest.Start(t)
	api := serve(t, url, map[string]string{"WORKERS": "0"})
	email := fmt.Sprintf("seeker-%d@example.com", time.Now().UnixNano())
	employer(t, api) // waits until the API is ready
	if code, err := call(context.Background(), client(), http.MethodPost, api.base+"/api/v1/auth/register", "", map[string]any{
		"email": email, "password": "correct horse battery staple", "first_name": "Ada", "last_name": "Rolle", "role": "ROLE_JOB_SEEKER",
	}, nil); err != nil || code != http.StatusOK {
		t.Fatalf("register: %d %v", code, err)
	}

	// Room for the sign-ups' verification mails beside the reset.
	stuck := start(t, "worker", url, map[string]string{"WORKERS": "8", "SMTP_URL": silentSMTP(t), "JOB_TIMEOUT": "30s"})
	if code, err := call(context.Background(), client(), http.MethodPost, api.base+"/api/v1/auth/password-reset", "", map[string]any{"email": email}, nil); err != nil || code != http.StatusOK {
		t.Fatalf("request a reset: %d %v", code, err)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	state := func() string {
		var s string
		_ = conn.QueryRow(ctx, "SELECT state::text FROM river_job WHERE kind = 'password_reset_requested'").Scan(&s)
		return s
	}
	within(t, 30*time.Second, func() bool { return state() == "running" })
	stuck.signal(t, syscall.SIGKILL)
	if err := stuck.wait(t, 10*time.Second); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("the worker did not die of SIGKILL: %v", err)
	}

	start(t, "worker", url, map[string]string{"WORKERS": "2", "SMTP_URL": mp.SMTPURL(), "JOB_TIMEOUT": "2s"})
	resets := func() (n int) {
		for _, m := range mp.Messages(t) {
			if strings.Contains(m.Text, "/reset-password?token=") {
				n++
			}
		}
		return n
	}
	within(t, 2*time.Minute, func() bool { return resets() > 0 })
	within(t, 30*time.Second, func() bool { return state() == "completed" })
	if n := resets(); n != 1 {
		t.Errorf("%d reset mails for one request; want 1", n)
	}
}
