package telemetry

import (
	"context"
	"testing"
)

// Tracing stays off, with nothing installed, unless the configuration asks
// for it, whatever else is in the environment. Not parallel: it sets
// environment variables.
func TestTracingOffUnlessAsked(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "hiremebahamas")
	t.Setenv("OTEL_TRACES_SAMPLER", "always_on")
	tr, err := NewTracing(context.Background(), TracingOptions{Enabled: false})
	if err != nil || tr != nil {
		t.Fatalf("NewTracing without Enabled = %v, %v; want nil, nil", tr, err)
	}
	if tr.GRPCOptions() != nil || tr.TracerProvider() != nil {
		t.Error("a nil tracing installs a stats handler or a tracer provider")
	}

	t.Setenv("OTEL_TRACES_EXPORTER", "no-such-exporter")
	if _, err := NewTracing(context.Background(), TracingOptions{Enabled: true}); err == nil {
		t.Error("an unknown OTEL_TRACES_EXPORTER was accepted")
	}
}
