package server

import (
	"context"
	"testing"

	"github.com/hiremebahamas/api/config"
)

// Tracing stays off, with nothing installed, unless the configuration asks
// for it, whatever else is in the environment. Not parallel: it sets
// environment variables.
func TestTracingOffUnlessAsked(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "hiremebahamas")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	tr, err := newTracing(context.Background(), config.Config{Tracing: false}, nil)
	if err != nil || tr != nil {
		t.Fatalf("newTracing without Tracing = %v, %v; want nil, nil", tr, err)
	}
	if tr.grpcOptions() != nil || tr.tracerProvider() != nil {
		t.Error("a nil tracing installs a stats handler or a tracer provider")
	}

	t.Setenv("OTEL_TRACES_EXPORTER", "no-such-exporter")
	if _, err := newTracing(context.Background(), config.Config{Tracing: true}, nil); err == nil {
		t.Error("an unknown OTEL_TRACES_EXPORTER was accepted")
	}
}
