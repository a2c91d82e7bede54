package server

import (
	"io"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/hiremebahamas/api/config"
	"github.com/hiremebahamas/api/server/ratelimit"
	"github.com/hiremebahamas/api/server/telemetry"
)

// Option changes how New builds an App.
type Option func(*options)

type options struct {
	tracerProvider trace.TracerProvider
}

// WithTracerProvider traces requests with tp whatever the OTEL_* variables
// say. The caller keeps ownership: the App does not shut tp down.
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(o *options) { o.tracerProvider = tp }
}

// NewLogger returns the process logger: JSON lines in production, for log
// pipelines, and plain text in development, for people.
func NewLogger(cfg config.Config, w io.Writer) *slog.Logger {
	return telemetry.NewLogger(w, cfg.LogLevel, cfg.Production())
}

// newLimits are the rate limits of cfg and how clients are told apart. An
// X-Forwarded-For from a peer that is no trusted proxy is counted when
// metrics are on and warned of in production, where it is a
// misconfiguration.
func newLimits(cfg config.Config, log *slog.Logger, m *telemetry.Metrics) *ratelimit.Limits {
	var warn *slog.Logger
	if cfg.Production() {
		warn = log
	}
	return &ratelimit.Limits{
		Clients: ratelimit.Clients{Trusted: cfg.TrustedProxies, Hops: cfg.TrustedProxyHops,
			Ignored: ratelimit.NewIgnoredForwards(warn, m.CountIgnoredForward())},
		General: ratelimit.New(cfg.RateLimit, cfg.RateBurst),
		Auth:    ratelimit.New(cfg.AuthRateLimit, cfg.AuthRateBurst),
	}
}
