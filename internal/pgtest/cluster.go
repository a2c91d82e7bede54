// Package pgtest gives tests a real PostgreSQL: TEST_DATABASE_URL when it is
// set, otherwise a throwaway cluster started from the installed server
// binaries and removed when the tests finish.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cluster is a private PostgreSQL server in a temporary directory, listening
// on 127.0.0.1 with trust authentication.
type Cluster struct {
	Port    int
	dir     string
	bin     string
	asUser  string // run server commands as this user; "" for the current one
	logFile string
}

// NewCluster initialises a cluster in a fresh temporary directory on a free
// port. It does not start it.
func NewCluster() (*Cluster, error) {
	bin, err := serverBinDir()
	if err != nil {
		return nil, err
	}
	c := &Cluster{bin: bin}
	// initdb refuses to run as root; the server then runs as postgres.
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, errors.New("running as root needs a postgres user to own the test cluster")
		}
		c.asUser = "postgres"
	}
	if c.dir, err = os.MkdirTemp("", "hmb-pgtest-"); err != nil {
		return nil, err
	}
	if c.asUser != "" {
		if out, err := exec.Command("chown", c.asUser, c.dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown test cluster dir: %v: %s", err, out)
		}
	}
	c.logFile = filepath.Join(c.dir, "server.log")
	if c.Port, err = freePort(); err != nil {
		return nil, err
	}
	if out, err := c.run("initdb", "-D", c.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8",
		"--locale=C", "--no-sync"); err != nil {
		c.Remove()
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	return c, nil
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

// URL is the connection URL of the cluster's postgres database.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
}

// Start starts the server and waits until it accepts connections. Durability
// is traded for speed: the data is thrown away anyway.
func (c *Cluster) Start() error {
	opts := strings.Join([]string{
		"-p " + strconv.Itoa(c.Port), "-c listen_addresses=127.0.0.1", "-k " + c.dir,
		"-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off",
		"-c max_connections=300", "-c shared_buffers=64MB",
	}, " ")
	if out, err := c.run("pg_ctl", "start", "-D", c.data(), "-l", c.logFile, "-w", "-t", "30", "-o", opts); err != nil {
		log, _ := os.ReadFile(c.logFile)
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return nil
}

// Stop shuts the server down at once, as a crash or an operator would,
// dropping every connection.
func (c *Cluster) Stop() error {
	if out, err := c.run("pg_ctl", "stop", "-D", c.data(), "-m", "immediate", "-w", "-t", "30"); err != nil {
		return fmt.Errorf("pg_ctl stop: %v: %s", err, out)
	}
	return nil
}

// Remove stops the server if it runs and deletes its files.
func (c *Cluster) Remove() {
	_, _ = c.run("pg_ctl", "stop", "-D", c.data(), "-m", "immediate", "-w", "-t", "30")
	_ = os.RemoveAll(c.dir)
}

func (c *Cluster) run(program string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(c.bin, program)
	var cmd *exec.Cmd
	if c.asUser != "" {
		cmd = exec.CommandContext(ctx, "runuser", append([]string{"-u", c.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, path, args...)
	}
	cmd.Dir = c.dir
	return cmd.CombinedOutput()
}

// serverBinDir finds the newest installed PostgreSQL server binaries.
func serverBinDir() (string, error) {
	if p, err := exec.LookPath("pg_config"); err == nil {
		if out, err := exec.Command(p, "--bindir").Output(); err == nil {
			dir := strings.TrimSpace(string(out))
			if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries found: install postgresql (apt-get install postgresql) or set TEST_DATABASE_URL")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// StartCluster starts a PostgreSQL cluster of the test's own, which it may
// stop and start again; it is removed when the test ends.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c, err := NewCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Remove)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	return c
}

// FreePort returns a loopback port that nothing listens on at the moment,
// for a server a test starts or for a port that must refuse connections.
// It lies below the kernel's ephemeral range, so that while a server on it
// is stopped (a database in an outage test, a replica being restarted) no
// listener on port 0 and no outgoing connection is given it meanwhile.
func FreePort(t testing.TB) int {
	t.Helper()
	p, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func freePort() (int, error) {
	low := ephemeralLow()
	for range 100 {
		port := 10000 + rand.IntN(low-10000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		l.Close()
		return port, nil
	}
	return 0, errors.New("no free port below the ephemeral range")
}

// ephemeralLow is where the kernel's ephemeral port range begins.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	low, err := strconv.Atoi(strings.Fields(string(b) + " x")[0])
	if err != nil || low <= 11000 {
		return 32768
	}
	return low
}
