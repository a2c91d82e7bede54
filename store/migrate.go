package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/migrations"
)

// LatestSchemaVersion is the version of the newest embedded migration: the
// schema this build was written for.
var LatestSchemaVersion = sync.OnceValue(func() int64 {
	var latest int64
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		panic(err)
	}
	for _, name := range names {
		prefix, _, _ := strings.Cut(name, "_")
		v, err := strconv.ParseInt(prefix, 10, 64)
		if err != nil {
			panic(fmt.Sprintf("migration %s: name does not start with a version", name))
		}
		latest = max(latest, v)
	}
	return latest
})

// provider returns a goose provider over pool. With lock set, runs are
// serialised across instances by a PostgreSQL advisory lock, so replicas
// started together do not migrate at once.
func (s *Store) provider(pool *pgxpool.Pool, withLock bool) (*goose.Provider, error) {
	opts := []goose.ProviderOption{goose.WithSlog(s.log.With("component", "migrate"))}
	if withLock {
		locker, err := lock.NewPostgresSessionLocker()
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(goose.DialectPostgres, stdlib.OpenDBFromPool(pool), migrations.FS, opts...)
}

// Migrate applies every pending migration and logs each one. It connects
// over the direct URL when there is one, and over the pool otherwise.
func (s *Store) Migrate(ctx context.Context) error {
	pool := s.pool
	if s.direct != nil {
		direct, err := pgxpool.NewWithConfig(ctx, s.direct)
		if err != nil {
			return fmt.Errorf("migrate: connect over DATABASE_DIRECT_URL: %w", err)
		}
		defer direct.Close()
		pool = direct
	}
	p, err := s.provider(pool, true)
	if err != nil {
		return err
	}
	defer p.Close()
	results, err := p.Up(ctx)
	for _, r := range results {
		s.log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path, "duration", r.Duration)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return s.migrateQueue(ctx, pool)
}

// migrateQueue applies River's migrations: the background-job queue's
// tables are part of the schema, versioned by River beside the project's
// own and applied by the same command.
func (s *Store) migrateQueue(ctx context.Context, pool *pgxpool.Pool) error {
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: s.log.With("component", "migrate")})
	if err != nil {
		return err
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("migrate the job queue: %w", err)
	}
	for _, v := range res.Versions {
		s.log.Info("queue migration applied", "river_version", v.Version, "name", v.Name, "duration", v.Duration)
	}
	return nil
}

// queueSchemaCurrent reports whether River's tables are at the version this
// build's River needs.
func (s *Store) queueSchemaCurrent(ctx context.Context) (bool, error) {
	m, err := rivermigrate.New(riverpgxv5.New(s.pool), nil)
	if err != nil {
		return false, err
	}
	all := m.AllVersions()
	have, err := m.ExistingVersions(ctx)
	if err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && pgErr.SQLState() == "42P01" { // undefined_table
			return false, nil
		}
		return false, err
	}
	return len(have) > 0 && have[len(have)-1].Version >= all[len(all)-1].Version, nil
}

// SchemaVersion returns the version applied to the database; 0 for a
// database goose has never touched.
func (s *Store) SchemaVersion(ctx context.Context) (int64, error) {
	p, err := s.provider(s.pool, false)
	if err != nil {
		return 0, err
	}
	defer p.Close()
	v, err := p.GetDBVersion(ctx)
	if err != nil {
		var pgErr interface{ SQLState() string }
		if errors.As(err, &pgErr) && pgErr.SQLState() == "42P01" { // undefined_table
			return 0, nil
		}
		if errors.Is(err, database.ErrVersionNotFound) {
			return 0, nil
		}
		return 0, err
	}
	return v, nil
}

// checkSchema confirms the schema is at least the version this build
// expects and remembers what it saw. A newer schema is accepted: during a
// rolling deploy the new build migrates while the old one still serves, so
// migrations must stay compatible with the previous build.
func (s *Store) checkSchema(ctx context.Context) error {
	have, err := s.SchemaVersion(ctx)
	if err != nil {
		return interpretError(err)
	}
	s.schemaVersion.Store(have)
	if want := LatestSchemaVersion(); have < want {
		return domain.Errorf(domain.ErrUnavailable, "SCHEMA_OUTDATED",
			"the database schema is at version %d but this build needs %d: run `hiremebahamas migrate` or serve with --migrate", have, want)
	}
	current, err := s.queueSchemaCurrent(ctx)
	if err != nil {
		return interpretError(err)
	}
	s.queueCurrent.Store(current)
	if !current {
		return domain.Errorf(domain.ErrUnavailable, "SCHEMA_OUTDATED",
			"the job queue's tables are missing or older than this build needs: run `hiremebahamas migrate` or serve with --migrate")
	}
	return nil
}
