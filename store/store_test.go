package store_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/store"
)

func open(t *testing.T, url string) *store.Store {
	t.Helper()
	s, err := store.Open(store.Options{DatabaseURL: url, MinConns: 0, MaxConns: 4, ConnectTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

func TestMigrateFromEmpty(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := open(t, pgtest.NewEmptyDatabase(t))

	if v, err := s.SchemaVersion(ctx); err != nil || v != 0 {
		t.Fatalf("SchemaVersion of an empty database = %d, %v; want 0", v, err)
	}
	_, err := s.Check(ctx)
	if !errors.Is(err, domain.ErrUnavailable) || reasonOf(err) != "SCHEMA_OUTDATED" {
		t.Errorf("Check before migrating = %v; want UNAVAILABLE SCHEMA_OUTDATED", err)
	}
	if s.SchemaCurrent() {
		t.Error("SchemaCurrent before migrating")
	}

	for range 2 { // the second run finds nothing to do
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	if v, err := s.SchemaVersion(ctx); err != nil || v != store.LatestSchemaVersion() {
		t.Errorf("SchemaVersion after migrating = %d, %v; want %d", v, err, store.LatestSchemaVersion())
	}
	h, err := s.Check(ctx)
	if err != nil || h.SchemaVersion != store.LatestSchemaVersion() || h.Latency <= 0 {
		t.Errorf("Check after migrating = %+v, %v", h, err)
	}
	if !s.SchemaCurrent() {
		t.Error("not SchemaCurrent after migrating")
	}
}

// Concurrent migrations, as from replicas started together, serialise on
// an advisory lock and both succeed.
func TestConcurrentMigrations(t *testing.T) {
	t.Parallel()
	url := pgtest.NewEmptyDatabase(t)
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- open(t, url).Migrate(context.Background()) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Errorf("Migrate: %v", err)
		}
	}
}

func reasonOf(err error) string {
	var de *domain.Error
	if errors.As(err, &de) {
		return de.Reason
	}
	return ""
}

// Parameters in DATABASE_URL reach the driver: an exec mode chosen there,
// the simple protocol here, works end to end.
func TestURLParameters(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	s := open(t, url+sep+"default_query_exec_mode=simple_protocol&application_name=hmb-test")
	if _, err := s.Check(context.Background()); err != nil {
		t.Errorf("Check over the simple protocol: %v", err)
	}

	_, err := store.Open(store.Options{DatabaseURL: "postgres://u:hunter2@localhost:notaport/db", MaxConns: 1, ConnectTimeout: time.Second},
		slog.New(slog.DiscardHandler))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("a malformed URL gave %v; want an error that does not echo the password", err)
	}
}

// With a direct URL, migrations never go through the pooler in front of
// DATABASE_URL, where their session lock would not hold.
func TestMigrateOverDirectURL(t *testing.T) {
	t.Parallel()
	direct := pgtest.NewEmptyDatabase(t)
	pooler := pgtest.StartPgBouncer(t, direct)
	s, err := store.Open(store.Options{DatabaseURL: pooler.URL, DirectURL: direct, MaxConns: 4, ConnectTimeout: 5 * time.Second},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if n := pooler.Logins(); n != 0 {
		t.Errorf("migrating opened %d connections through the pooler; want none", n)
	}
	if v, err := open(t, direct).SchemaVersion(context.Background()); err != nil || v != store.LatestSchemaVersion() {
		t.Errorf("SchemaVersion after migrating = %d, %v; want %d", v, err, store.LatestSchemaVersion())
	}
}
