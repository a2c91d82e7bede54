package server

import (
	"io"
	"log/slog"

	"github.com/hiremebahamas/api/config"
)

// NewLogger returns the process logger: JSON lines in production, for log
// pipelines, and plain text in development, for people.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.Production() {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
