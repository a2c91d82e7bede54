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
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver pgtestdb uses
	"github.com/peterldowns/pgtestdb"

	"github.com/hiremebahamas/api/migrations"
	"github.com/hiremebahamas/api/store"
)

var (
	adminURL string
	shared   *Cluster
)

// Run is TestMain for packages that use a database: it finds or starts the
// server, runs the tests, and removes a cluster it started.
func Run(m *testing.M) int {
	if adminURL = os.Getenv("TEST_DATABASE_URL"); adminURL == "" {
		c, err := NewCluster()
		if err == nil {
			err = c.Start()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
			if c != nil {
				c.Remove()
			}
			return 1
		}
		shared, adminURL = c, c.URL()
	}
	code := m.Run()
	if shared != nil {
		shared.Remove()
	}
	return code
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
	if adminURL == "" {
		t.Fatal("pgtest: call pgtest.Run from TestMain")
	}
	u, err := url.Parse(adminURL)
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
