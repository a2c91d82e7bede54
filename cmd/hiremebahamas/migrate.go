package main

import (
	"cmp"
	"context"
	"log/slog"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/store"
)

func migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	// Nothing here needs the pooler, and migrations must not go through one.
	s, err := store.Open(store.Options{
		DatabaseURL:    cmp.Or(cfg.DatabaseDirectURL, cfg.DatabaseURL),
		MinConns:       0,
		MaxConns:       2,
		ConnectTimeout: cfg.DBConnectTimeout,
	}, log)
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.Migrate(ctx); err != nil {
		return err
	}
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	log.Info("schema is current", "version", v)
	return nil
}
