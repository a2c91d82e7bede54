package telemetry

import (
	"io"
	"log/slog"
)

// NewLogger returns the process logger: JSON lines for log pipelines, or
// plain text for people.
func NewLogger(w io.Writer, level slog.Leveler, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if json {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
