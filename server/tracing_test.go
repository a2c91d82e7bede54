package server_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// A REST request's traceparent is continued through the gateway, the RPC and
// every query: the spans form one tree under the caller's span, and the log
// line names the trace.
func TestTracingFollowsRESTThroughRPCToTheDatabase(t *testing.T) {
	t.Parallel()
	exporter := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exporter))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.MetricsAddr = "127.0.0.1:0"
	s := servertest.Start(t, cfg, server.WithTracerProvider(tp))
	// Waiting on the log rather than on /ready/db leaves the traced request
	// to run the check itself, where an earlier outcome would answer it.
	servertest.Eventually(t, 10*time.Second, "the database is ready", func() bool {
		return len(s.Logs.Lines("database ready")) > 0
	})

	const (
		traceID      = "4bf92f3577b34da6a3ce929d0e0e4736"
		callerSpanID = "00f067aa0ba902b7"
		requestID    = "trace-test-request"
	)
	code, _, body := s.Do(t, http.MethodGet, "/ready/db", nil,
		"Traceparent", "00-"+traceID+"-"+callerSpanID+"-01", "X-Request-Id", requestID)
	if code != http.StatusOK {
		t.Fatalf("GET /ready/db = %d %s", code, body)
	}

	// The REST span ends once the response is written, which the client may
	// see first.
	var spans map[string]tracetest.SpanStub // by span id
	var restSpan tracetest.SpanStub
	servertest.Eventually(t, 5*time.Second, "the REST span is exported", func() bool {
		spans = spansOfTrace(exporter, traceID)
		for _, sp := range spans {
			if sp.SpanKind == trace.SpanKindServer && sp.Parent.SpanID().String() == callerSpanID {
				restSpan = sp
				return true
			}
		}
		return false
	})
	if restSpan.Name != "GET /ready/db" || !restSpan.Parent.IsRemote() {
		t.Errorf("REST span %q (remote parent %v); want GET /ready/db under the caller's span", restSpan.Name, restSpan.Parent.IsRemote())
	}
	if got := attr(restSpan, "http.route"); got != "/ready/db" {
		t.Errorf("REST span http.route = %q; want /ready/db", got)
	}
	if got := attr(restSpan, "http.response.status_code"); got != "200" {
		t.Errorf("REST span http.response.status_code = %q; want 200", got)
	}

	var rpc *tracetest.SpanStub
	for _, sp := range spans {
		if sp.Name == "hiremebahamas.v1.HealthService/CheckDatabase" {
			rpc = &sp
		}
	}
	if rpc == nil {
		t.Fatalf("no RPC span in the trace; spans: %v", names(spans))
	}
	if rpc.SpanKind != trace.SpanKindServer || rpc.Parent.SpanID() != restSpan.SpanContext.SpanID() {
		t.Errorf("RPC span kind %v, parent %v; want a server span under the REST span %v", rpc.SpanKind, rpc.Parent.SpanID(), restSpan.SpanContext.SpanID())
	}

	var queries int
	for _, sp := range spans {
		if attr(sp, "db.system.name") != "postgresql" || sp.Name == "pool.acquire" {
			continue
		}
		queries++
		if !descendsFrom(spans, sp, rpc.SpanContext.SpanID()) {
			t.Errorf("query span %q is not under the RPC span", sp.Name)
		}
		if sp.Name == "InRecovery" && !strings.Contains(attr(sp, "db.query.text"), "pg_is_in_recovery") {
			t.Errorf("InRecovery span without its statement: %q", attr(sp, "db.query.text"))
		}
	}
	if queries == 0 {
		t.Errorf("no query spans in the trace; spans: %v", names(spans))
	}
	// Every span of the trace hangs from the caller's span.
	for _, sp := range spans {
		if !descendsFrom(spans, sp, restSpan.SpanContext.SpanID()) && sp.SpanContext.SpanID() != restSpan.SpanContext.SpanID() {
			t.Errorf("span %q is outside the REST span's tree", sp.Name)
		}
	}

	var logged bool
	for _, rec := range s.Logs.Lines("request") {
		if rec["request_id"] == requestID {
			logged = true
			if rec["trace_id"] != traceID {
				t.Errorf("log line trace_id = %v; want %s", rec["trace_id"], traceID)
			}
		}
	}
	if !logged {
		t.Error("no log line for the traced request")
	}

	// Latency observations link to their trace, for scrapers that ask for
	// OpenMetrics.
	req, err := http.NewRequest(http.MethodGet, "http://"+s.App.MetricsAddr().String()+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err := s.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	scraped, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, series := range []string{"http_server_request_duration_seconds_bucket", "grpc_server_handling_seconds_bucket"} {
		if !hasExemplar(string(scraped), series, traceID) {
			t.Errorf("no %s observation carries the exemplar trace_id=%q", series, traceID)
		}
	}

	// A gRPC client's traceparent is continued the same way.
	const grpcTraceID = "0af7651916cd43dd8448eb211c80319c"
	ctx := metadata.AppendToOutgoingContext(context.Background(), "traceparent", "00-"+grpcTraceID+"-b7ad6b7169203331-01")
	if _, err := hmbv1.NewHealthServiceClient(s.Conn).CheckServing(ctx, &hmbv1.CheckServingRequest{}); err != nil {
		t.Fatal(err)
	}
	servertest.Eventually(t, 5*time.Second, "the gRPC span is exported", func() bool {
		for _, sp := range spansOfTrace(exporter, grpcTraceID) {
			if sp.Name == "hiremebahamas.v1.HealthService/CheckServing" && sp.Parent.SpanID().String() == "b7ad6b7169203331" {
				return true
			}
		}
		return false
	})
}

// With tracing set by the OTEL_* variables, spans go to the OTLP endpoint
// named, and those still buffered are sent when the App shuts down.
// Not parallel: it sets environment variables.
func TestTracingFromEnvironmentFlushesAtShutdown(t *testing.T) {
	collector := &otlpCollector{}
	srv := httptest.NewServer(collector)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", srv.URL+"/v1/traces")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "http/protobuf")
	t.Setenv("OTEL_SERVICE_NAME", "hiremebahamas-test")
	t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "600000") // nothing leaves before the shutdown flush
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.Tracing = true
	s := servertest.Start(t, cfg)

	const traceID = "5b8efff798038103d269b633813fc60c"
	if code, _, _ := s.Do(t, http.MethodGet, "/health", nil, "Traceparent", "00-"+traceID+"-eee19b7ec3c1b174-01"); code != http.StatusOK {
		t.Fatalf("GET /health = %d", code)
	}
	time.Sleep(100 * time.Millisecond)
	if n := collector.spanCount(traceID, ""); n != 0 {
		t.Fatalf("%d spans exported before shutdown; the batch delay should have held them", n)
	}
	s.Stop()
	err := <-s.Done
	s.Done <- err // for the cleanup
	if n := collector.spanCount(traceID, "hiremebahamas-test"); n < 2 {
		t.Errorf("%d spans of the trace from service hiremebahamas-test reached the collector at shutdown; want the REST and RPC spans", n)
	}
}

// otlpCollector accepts OTLP/HTTP trace exports.
type otlpCollector struct {
	mu       sync.Mutex
	requests []*coltracepb.ExportTraceServiceRequest
}

func (c *otlpCollector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	req := new(coltracepb.ExportTraceServiceRequest)
	if err != nil || r.URL.Path != "/v1/traces" || proto.Unmarshal(body, req) != nil {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.requests = append(c.requests, req)
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// spanCount counts the spans received of trace traceID, from service (any
// when empty).
func (c *otlpCollector) spanCount(traceID, service string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, req := range c.requests {
		for _, rs := range req.GetResourceSpans() {
			name := ""
			for _, kv := range rs.GetResource().GetAttributes() {
				if kv.GetKey() == "service.name" {
					name = kv.GetValue().GetStringValue()
				}
			}
			if service != "" && name != service {
				continue
			}
			for _, ss := range rs.GetScopeSpans() {
				for _, sp := range ss.GetSpans() {
					if trace.TraceID(sp.GetTraceId()).String() == traceID {
						n++
					}
				}
			}
		}
	}
	return n
}

// hasExemplar reports whether a line of series in an OpenMetrics scrape
// carries traceID as its exemplar.
func hasExemplar(scrape, series, traceID string) bool {
	for _, line := range strings.Split(scrape, "\n") {
		if strings.HasPrefix(line, series+"{") && strings.Contains(line, `# {trace_id="`+traceID+`"}`) {
			return true
		}
	}
	return false
}

func spansOfTrace(exporter *tracetest.InMemoryExporter, traceID string) map[string]tracetest.SpanStub {
	out := map[string]tracetest.SpanStub{}
	for _, sp := range exporter.GetSpans() {
		if sp.SpanContext.TraceID().String() == traceID {
			out[sp.SpanContext.SpanID().String()] = sp
		}
	}
	return out
}

// descendsFrom reports whether sp lies under the span ancestor.
func descendsFrom(spans map[string]tracetest.SpanStub, sp tracetest.SpanStub, ancestor trace.SpanID) bool {
	for range len(spans) {
		if sp.Parent.SpanID() == ancestor {
			return true
		}
		parent, ok := spans[sp.Parent.SpanID().String()]
		if !ok {
			return false
		}
		sp = parent
	}
	return false
}

func attr(sp tracetest.SpanStub, key attribute.Key) string {
	for _, kv := range sp.Attributes {
		if kv.Key == key {
			return kv.Value.Emit()
		}
	}
	return ""
}

func names(spans map[string]tracetest.SpanStub) []string {
	var out []string
	for _, sp := range spans {
		out = append(out, sp.Name)
	}
	return out
}
