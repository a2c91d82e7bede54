package pgtest

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PgBouncerPath is Debian's PgBouncer, which .ci/run installs.
const PgBouncerPath = "/usr/sbin/pgbouncer"

// PgBouncer is a PgBouncer in transaction pooling mode, as hosted databases
// put in front of PostgreSQL, listening on 127.0.0.1 and passing every
// database name through to one server.
type PgBouncer struct {
	Port int
	// URL is the URL NewPgBouncer was given, leading through PgBouncer.
	URL     string
	dir     string
	cmd     *exec.Cmd
	exited  chan struct{}
	logFile string
}

// StartPgBouncer starts a PgBouncer in front of the server of databaseURL;
// its URL field is the same database through it. It is stopped when the
// test ends. Without PgBouncer installed the test is skipped, or fails when
// CI is set.
func StartPgBouncer(t testing.TB, databaseURL string) *PgBouncer {
	t.Helper()
	if _, err := os.Stat(PgBouncerPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; CI installs Debian's pgbouncer package: %v", PgBouncerPath, err)
		}
		t.Skipf("%s is missing (apt-get install pgbouncer); not testing through a transaction pooler", PgBouncerPath)
	}
	b, err := NewPgBouncer(databaseURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(b.Stop)
	return b
}

// NewPgBouncer starts a PgBouncer in front of the server of databaseURL,
// with its user and password, and waits until it accepts connections.
func NewPgBouncer(databaseURL string) (*PgBouncer, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("pgbouncer: the server URL cannot be parsed: %w", err)
	}
	b := &PgBouncer{exited: make(chan struct{})}
	if b.Port, err = freePort(); err != nil {
		return nil, err
	}
	if b.dir, err = os.MkdirTemp("", "hmb-pgbouncer-"); err != nil {
		return nil, err
	}
	b.logFile = filepath.Join(b.dir, "pgbouncer.log")
	if err := b.writeConfig(u); err != nil {
		b.Stop()
		return nil, err
	}
	b.cmd = exec.Command(PgBouncerPath, filepath.Join(b.dir, "pgbouncer.ini"))
	b.cmd.Dir = b.dir
	// PgBouncer refuses to run as root; it runs as postgres, as the test
	// cluster does.
	if os.Geteuid() == 0 {
		cred, err := postgresCredential()
		if err != nil {
			b.Stop()
			return nil, err
		}
		b.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		if out, err := exec.Command("chown", "-R", strconv.Itoa(int(cred.Uid)), b.dir).CombinedOutput(); err != nil {
			b.Stop()
			return nil, fmt.Errorf("chown pgbouncer dir: %v: %s", err, out)
		}
	}
	if err := b.cmd.Start(); err != nil {
		b.Stop()
		return nil, fmt.Errorf("start pgbouncer: %w", err)
	}
	go func() {
		_ = b.cmd.Wait()
		close(b.exited)
	}()
	if err := b.waitListening(10 * time.Second); err != nil {
		b.Stop()
		return nil, err
	}
	pooled := *u
	pooled.Host = b.addr()
	b.URL = pooled.String()
	return b, nil
}

// writeConfig writes pgbouncer.ini and the user list. Clients are trusted;
// PgBouncer logs in to the server with the URL's password, if any, so that a
// TEST_DATABASE_URL server with password authentication works too.
func (b *PgBouncer) writeConfig(server *url.URL) error {
	host, port := server.Hostname(), server.Port()
	if host == "" {
		host = "127.0.0.1"
	}
	if port == "" {
		port = "5432"
	}
	username := server.User.Username()
	password, _ := server.User.Password()
	ini := strings.Join([]string{
		"[databases]",
		fmt.Sprintf("* = host=%s port=%s", host, port),
		"[pgbouncer]",
		"listen_addr = 127.0.0.1",
		"listen_port = " + strconv.Itoa(b.Port),
		"unix_socket_dir =",
		"auth_type = trust",
		"auth_file = " + filepath.Join(b.dir, "userlist.txt"),
		"pool_mode = transaction",
		"logfile = " + b.logFile,
		"pidfile =",
		"max_client_conn = 1000",
		"default_pool_size = 40",
		// Retry a lost server within a second, not the default 15, so that
		// tests of an outage see recovery as soon as PostgreSQL is back.
		"server_login_retry = 1",
		"log_connections = 1", // Logins counts them
		"log_disconnections = 0",
		"",
	}, "\n")
	users := fmt.Sprintf("%s %s\n", quoteUserlist(username), quoteUserlist(password))
	if err := os.WriteFile(filepath.Join(b.dir, "pgbouncer.ini"), []byte(ini), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.dir, "userlist.txt"), []byte(users), 0o600)
}

// quoteUserlist quotes a name or password for PgBouncer's auth_file, where
// a double quote is written twice.
func quoteUserlist(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func postgresCredential() (*syscall.Credential, error) {
	pg, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root needs a postgres user to run pgbouncer as")
	}
	uid, err := strconv.ParseUint(pg.Uid, 10, 32)
	if err != nil {
		return nil, err
	}
	gid, err := strconv.ParseUint(pg.Gid, 10, 32)
	if err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (b *PgBouncer) waitListening(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		conn, err := net.DialTimeout("tcp", b.addr(), time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-b.exited:
			log, _ := os.ReadFile(b.logFile)
			return fmt.Errorf("pgbouncer exited at start: %s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(b.logFile)
			return fmt.Errorf("pgbouncer did not listen within %s: %s", timeout, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (b *PgBouncer) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(b.Port)) }

// Logins counts the connections clients have opened through PgBouncer.
func (b *PgBouncer) Logins() int {
	log, _ := os.ReadFile(b.logFile)
	return strings.Count(string(log), "login attempt:")
}

// Stop stops PgBouncer, dropping its connections, and deletes its files.
func (b *PgBouncer) Stop() {
	if b.cmd != nil && b.cmd.Process != nil {
		_ = b.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-b.exited:
		case <-time.After(5 * time.Second):
			_ = b.cmd.Process.Kill()
			<-b.exited
		}
	}
	if b.dir != "" {
		_ = os.RemoveAll(b.dir)
	}
}
