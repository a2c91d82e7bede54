package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/store"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Run(m)) }

func TestMigrateCommand(t *testing.T) {
	url := pgtest.NewEmptyDatabase(t)
	env := func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
	for attempt := range 2 { // the second run has nothing to do and still succeeds
		var stderr bytes.Buffer
		if code := run(context.Background(), []string{"migrate"}, env, strings.NewReader(""), &stderr); code != 0 {
			t.Fatalf("run %d: exit %d: %s", attempt, code, stderr.String())
		}
		if !strings.Contains(stderr.String(), "schema is current") {
			t.Errorf("run %d: output %q does not confirm the schema", attempt, stderr.String())
		}
	}
	s, err := store.Open(store.Options{DatabaseURL: url, MaxConns: 1, ConnectTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(context.Background()); err != nil || v != store.LatestSchemaVersion() {
		t.Errorf("schema version %d, %v; want %d", v, err, store.LatestSchemaVersion())
	}
}

func TestMigrateCommandWithoutDatabase(t *testing.T) {
	var stderr bytes.Buffer
	env := func(k string) string {
		return map[string]string{"DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?sslmode=disable", "DB_CONNECT_TIMEOUT": "1s"}[k]
	}
	if code := run(context.Background(), []string{"migrate"}, env, strings.NewReader(""), &stderr); code != 1 {
		t.Errorf("exit %d; want 1 (output %q)", code, stderr.String())
	}
}

// With DATABASE_URL leading through a transaction pooler, migrate works over
// DATABASE_DIRECT_URL and leaves the pooler alone.
func TestMigrateCommandOverDirectURL(t *testing.T) {
	direct := pgtest.NewEmptyDatabase(t)
	pooler := pgtest.StartPgBouncer(t, direct)
	env := func(k string) string {
		return map[string]string{"DATABASE_URL": pooler.URL, "DATABASE_DIRECT_URL": direct}[k]
	}
	var stderr bytes.Buffer
	if code := run(context.Background(), []string{"migrate"}, env, strings.NewReader(""), &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if n := pooler.Logins(); n != 0 {
		t.Errorf("migrate opened %d connections through the pooler; want none", n)
	}
	s, err := store.Open(store.Options{DatabaseURL: direct, MaxConns: 1, ConnectTimeout: 5 * time.Second}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if v, err := s.SchemaVersion(context.Background()); err != nil || v != store.LatestSchemaVersion() {
		t.Errorf("schema version %d, %v; want %d", v, err, store.LatestSchemaVersion())
	}
}
