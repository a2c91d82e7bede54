package server_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/wrapperspb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// REST over HTTP/1.1 and cleartext HTTP/2, and gRPC, share one port; gRPC is
// also served on GRPC_PORT when set.
func TestOnePortServesEveryProtocol(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	cfg.GRPCPort = port
	s := servertest.Start(t, cfg)

	h2c := &http.Client{Timeout: 10 * time.Second, Transport: &http2.Transport{
		AllowHTTP: true,
		DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	for name, client := range map[string]*http.Client{"HTTP/1.1": s.HTTP, "HTTP/2 cleartext": h2c} {
		for range 3 { // several requests on one connection
			resp, err := client.Get(s.Base + "/health")
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"healthy"`) {
				t.Errorf("%s GET /health = %d %s", name, resp.StatusCode, body)
			}
			wantProto := map[string]int{"HTTP/1.1": 1, "HTTP/2 cleartext": 2}[name]
			if resp.ProtoMajor != wantProto {
				t.Errorf("%s: response over HTTP/%d", name, resp.ProtoMajor)
			}
		}
	}

	grpcOnly, err := grpc.NewClient(s.App.GRPCAddr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer grpcOnly.Close()
	for name, conn := range map[string]*grpc.ClientConn{"shared port": s.Conn, "GRPC_PORT": grpcOnly} {
		resp, err := grpc_health_v1.NewHealthClient(conn).Check(context.Background(), &grpc_health_v1.HealthCheckRequest{})
		if err != nil || resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
			t.Errorf("gRPC health on %s = %v, %v", name, resp, err)
		}
	}

	// Reflection is on, for grpcurl and other internal tools.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := reflectionpb.NewServerReflectionClient(s.Conn).ServerReflectionInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, svc := range resp.GetListServicesResponse().GetService() {
		names = append(names, svc.GetName())
	}
	if !strings.Contains(strings.Join(names, " "), "hiremebahamas.v1.HealthService") {
		t.Errorf("reflection lists %v; want hiremebahamas.v1.HealthService among them", names)
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))

	// A caller's id is kept and returned over REST, in error bodies too, and
	// reaches the log line of the request.
	_, header, _ := s.Do(t, http.MethodGet, "/live", nil, "X-Request-ID", "abc-123.x_y:z")
	if got := header.Get("X-Request-Id"); got != "abc-123.x_y:z" {
		t.Errorf("X-Request-Id = %q; want the caller's", got)
	}
	_, header, body := s.Do(t, http.MethodGet, "/nope", nil, "X-Request-ID", "err-42")
	if e := servertest.DecodeError(t, body); e.Error.RequestID != "err-42" || header.Get("X-Request-Id") != "err-42" {
		t.Errorf("error request_id %q, header %q; want err-42", e.Error.RequestID, header.Get("X-Request-Id"))
	}
	servertest.Eventually(t, 2*time.Second, "the request's log line carries its id", func() bool {
		for _, rec := range s.Logs.Lines("request") {
			if rec["request_id"] == "abc-123.x_y:z" && rec["transport"] == "rest" && rec["path"] == "/live" {
				return true
			}
		}
		return false
	})

	// An id that is unsafe to log or too long is replaced.
	for _, bad := range []string{"has space", "new\tline", strings.Repeat("x", 129), "<script>"} {
		_, header, _ := s.Do(t, http.MethodGet, "/live", nil, "X-Request-ID", bad)
		if got := header.Get("X-Request-Id"); got == bad || got == "" {
			t.Errorf("X-Request-ID %q came back as %q; want a fresh id", bad, got)
		}
	}

	// Over gRPC the id travels in metadata both ways.
	var md metadata.MD
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-request-id", "grpc-7")
	if _, err := hmbv1.NewHealthServiceClient(s.Conn).CheckLiveness(ctx, &hmbv1.CheckLivenessRequest{}, grpc.Header(&md)); err != nil {
		t.Fatal(err)
	}
	if got := md.Get("x-request-id"); len(got) != 1 || got[0] != "grpc-7" {
		t.Errorf("response x-request-id = %v; want [grpc-7]", got)
	}
	_, err := hmbv1.NewHealthServiceClient(s.Conn).CheckLiveness(context.Background(), &hmbv1.CheckLivenessRequest{}, grpc.Header(&md))
	if err != nil || len(md.Get("x-request-id")) != 1 || md.Get("x-request-id")[0] == "" {
		t.Errorf("a call without an id got x-request-id %v, %v; want a generated one", md.Get("x-request-id"), err)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// A gRPC request above GRPC_MAX_MSG_BYTES is refused before it is decoded.
func TestGRPCMessageLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.GRPCMaxMsgBytes = 64 << 10
	s := servertest.Start(t, cfg)
	big := wrapperspb.Bytes(make([]byte, 100<<10))
	err := s.Conn.Invoke(context.Background(), hmbv1.HealthService_CheckLiveness_FullMethodName, big, &hmbv1.CheckLivenessResponse{})
	if status.Code(err) != codes.ResourceExhausted {
		t.Errorf("oversized message: %v; want RESOURCE_EXHAUSTED", err)
	}
	if _, err := hmbv1.NewHealthServiceClient(s.Conn).CheckLiveness(context.Background(), &hmbv1.CheckLivenessRequest{}); err != nil {
		t.Errorf("the connection is unusable after refusing a large message: %v", err)
	}
}

// A gRPC connection older than GRPC_MAX_CONNECTION_AGE is told to go away,
// and the client moves its calls to a new one without any failing: that is
// how long-lived clients reach replicas started after they connected.
func TestGRPCConnectionAge(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.GRPCMaxConnectionAge, cfg.GRPCMaxConnectionAgeGrace = 300*time.Millisecond, 5*time.Second
	s := servertest.Start(t, cfg)

	var mu sync.Mutex
	var dials, aged int // connections opened, and told to go away
	conn, err := grpc.NewClient(s.App.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithContextDialer(func(ctx context.Context, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
			if err != nil {
				return nil, err
			}
			mu.Lock()
			dials++
			mu.Unlock()
			var once sync.Once
			return watchGoAway(c, func() {
				// The server may send more than one GOAWAY while it drains
				// a connection.
				once.Do(func() {
					mu.Lock()
					aged++
					mu.Unlock()
				})
			}), nil
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	jobs := hmbv1.NewJobServiceClient(conn)
	var calls int
	servertest.Eventually(t, 10*time.Second, "two connections replaced after a GOAWAY", func() bool {
		calls++
		if _, err := jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{}); err != nil {
			t.Fatalf("call %d: %v", calls, err)
		}
		mu.Lock()
		defer mu.Unlock()
		return aged >= 2 && dials >= 3
	})
	mu.Lock()
	defer mu.Unlock()
	t.Logf("%d calls, all succeeded, over %d connections; %d told to go away", calls, dials, aged)
}

// watchGoAway calls onGoAway for each HTTP/2 GOAWAY frame the server sends
// on c, reading a copy of what the client reads.
func watchGoAway(c net.Conn, onGoAway func()) net.Conn {
	r, w := io.Pipe()
	go func() {
		fr := http2.NewFramer(io.Discard, r)
		fr.SetMaxReadFrameSize(1 << 24)
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				r.CloseWithError(err)
				return
			}
			if _, ok := f.(*http2.GoAwayFrame); ok {
				onGoAway()
			}
		}
	}()
	return &teeConn{Conn: c, copy: w}
}

// teeConn copies what is read from Conn to copy.
type teeConn struct {
	net.Conn
	copy *io.PipeWriter
}

func (c *teeConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		_, _ = c.copy.Write(p[:n])
	}
	if err != nil {
		c.copy.CloseWithError(err)
	}
	return n, err
}
