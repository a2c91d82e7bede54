package pgtest

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"github.com/hiremebahamas/api/migrations"
	"github.com/hiremebahamas/api/store"
)

var (
	running  bool // Run was called
	adminURL string
	shared   *Cluster
	start    sync.Once
	startErr error
)

// Run is TestMain for packages that use a database: it runs the tests and
// removes the cluster if one was started. The server is found or started
// when the first test asks for a database, so that runs needing none (fuzz
// targets, whose worker processes each run TestMain) start none.
func Run(m *testing.M) int {
	running = true
	code := m.Run()
	if shared != nil {
		shared.Remove()
	}
	return code
}

// server returns the URL of TEST_DATABASE_URL or of a private cluster,
// starting the cluster the first time.
func server() (string, error) {
	start.Do(func() {
		if adminURL = os.Getenv("TEST_DATABASE_URL"); adminURL != "" {
			return
		}
		c, err := NewCluster()
		if err == nil {
			err = c.Start()
		}
		if err != nil {
			if c != nil {
				c.Remove()
			}
			startErr = err
			return
		}
		shared, adminURL = c, c.URL()
	})
	return adminURL, startErr
}

// NewDatabase returns the URL of a fresh database for this test alone, cloned
// from a template that the embedded migrations were applied to once. It is
// dropped when the test ends.
func NewDatabase(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, config(t), migrator{}).URL()
}

// NewEmptyDatabase returns the URL of a fresh database with no migrations
// applied, for tests of migrating and of outdated schemas.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	return pgtestdb.Custom(t, config(t), pgtestdb.NoopMigrator{}).URL()
}

func config(t testing.TB) pgtestdb.Config {
	t.Helper()
	if !running {
		t.Fatal("pgtest: call pgtest.Run from TestMain")
	}
	base, err := server()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("pgtest: TEST_DATABASE_URL: %v", err)
	}
	password, _ := u.User.Password()
	return pgtestdb.Config{
		DriverName: "pgx",
		Host:       u.Hostname(),
		Port:       u.Port(),
		User:       u.User.Username(),
		Password:   password,
		Database:   u.Path[1:],
		Options:    u.RawQuery,
	}
}

// migrator applies the service's own migrations through the store, the same
// code path `hiremebahamas migrate` takes.
type migrator struct{}

func (migrator) Hash() (string, error) {
	h := sha256.New()
	err := fs.WalkDir(migrations.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(migrations.FS, path)
		fmt.Fprintf(h, "%s %d\n", path, len(b))
		h.Write(b)
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}

func (migrator) Migrate(ctx context.Context, _ *sql.DB, conf pgtestdb.Config) error {
	s, err := store.Open(store.Options{DatabaseURL: conf.URL(), MaxConns: 2, ConnectTimeout: 10 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Migrate(ctx)
}
