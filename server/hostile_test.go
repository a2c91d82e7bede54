package server_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"

	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// h2Client is a raw HTTP/2 connection, for what well-behaved clients never
// send: streams left open, messages trickled a byte at a time.
type h2Client struct {
	t    *testing.T
	conn net.Conn
	fr   *http2.Framer
	mu   sync.Mutex // guards writes
	// frames the server sent, read in the background until the connection
	// ends, when frames is closed.
	frames chan http2.Frame
}

func dialH2(t *testing.T, addr string) *h2Client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &h2Client{t: t, conn: conn, fr: http2.NewFramer(conn, conn), frames: make(chan http2.Frame, 1024)}
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	if err := c.fr.WriteSettings(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(c.frames)
		for {
			f, err := c.fr.ReadFrame()
			if err != nil {
				return
			}
			if s, ok := f.(*http2.SettingsFrame); ok && !s.IsAck() {
				c.mu.Lock()
				_ = c.fr.WriteSettingsAck()
				c.mu.Unlock()
			}
			// Frames are only valid until the next read: keep a copy of
			// what the tests look at.
			switch f := f.(type) {
			case *http2.SettingsFrame:
				var settings []http2.Setting
				_ = f.ForeachSetting(func(s http2.Setting) error { settings = append(settings, s); return nil })
				c.frames <- &settingsCopy{ack: f.IsAck(), settings: settings}
			case *http2.RSTStreamFrame, *http2.GoAwayFrame:
				c.frames <- f
			case *http2.HeadersFrame:
				c.frames <- &endCopy{streamID: f.StreamID, ended: f.StreamEnded()}
			case *http2.DataFrame:
				c.frames <- &endCopy{streamID: f.StreamID, ended: f.StreamEnded()}
			}
		}
	}()
	return c
}

// settingsCopy and endCopy keep what the tests need of frames the framer
// reuses.
type settingsCopy struct {
	http2.Frame
	ack      bool
	settings []http2.Setting
}

type endCopy struct {
	http2.Frame
	streamID uint32
	ended    bool
}

// serverSettings waits for the server's SETTINGS (the splitter's empty
// SETTINGS come first, and say nothing).
func (c *h2Client) serverSettings() map[http2.SettingID]uint32 {
	c.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case f, ok := <-c.frames:
			if !ok {
				c.t.Fatal("the connection ended before the server's SETTINGS")
			}
			if s, ok := f.(*settingsCopy); ok && !s.ack && len(s.settings) > 0 {
				out := map[http2.SettingID]uint32{}
				for _, v := range s.settings {
					out[v.ID] = v.Val
				}
				return out
			}
		case <-timeout:
			c.t.Fatal("no SETTINGS from the server")
		}
	}
}

// open starts a request stream with the headers, leaving it open.
func (c *h2Client) open(id uint32, path, contentType string) {
	c.t.Helper()
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"}, {Name: ":path", Value: path},
		{Name: ":authority", Value: "localhost"}, {Name: "content-type", Value: contentType}, {Name: "te", Value: "trailers"},
	} {
		_ = enc.WriteField(f)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block.Bytes(), EndHeaders: true}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *h2Client) data(id uint32, b []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.fr.WriteData(id, false, b)
}

// TestStreamsPerConnection opens more streams on one connection than a
// client may hold, over gRPC and over REST's cleartext HTTP/2: the server
// announces its limit and refuses the streams beyond it.
func TestStreamsPerConnection(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	// Requests whose bodies never come, so that every stream stays open: a
	// REST request to no route would be answered, and its stream closed,
	// before the last ones arrived.
	for name, tc := range map[string]struct{ path, contentType string }{
		"gRPC": {"/hiremebahamas.v1.JobService/GetJob", "application/grpc"},
		"REST": {"/api/v1/jobs", "application/json"},
	} {
		t.Run(name, func(t *testing.T) {
			c := dialH2(t, s.App.Addr().String())
			// The server speaks once the splitter has seen the first request.
			const streams = 150
			for i := range streams {
				c.open(uint32(2*i+1), tc.path, tc.contentType)
			}
			if got := c.serverSettings()[http2.SettingMaxConcurrentStreams]; got != 100 {
				t.Errorf("SETTINGS_MAX_CONCURRENT_STREAMS %d; want 100", got)
			}
			refused := 0
			timeout := time.After(10 * time.Second)
			for refused < streams-100 {
				select {
				case f, ok := <-c.frames:
					if !ok {
						t.Fatalf("the connection ended after %d refused streams", refused)
					}
					// Go's HTTP/2 server refuses a stream over the limit
					// as REFUSED_STREAM while its SETTINGS are not yet
					// acknowledged, and as PROTOCOL_ERROR after: either
					// way the stream is turned away unserved.
					if r, ok := f.(*http2.RSTStreamFrame); ok && (r.ErrCode == http2.ErrCodeRefusedStream || r.ErrCode == http2.ErrCodeProtocol) {
						refused++
					}
				case <-timeout:
					t.Fatalf("%d of %d streams beyond the limit were refused", refused, streams-100)
				}
			}
		})
	}
}

// TestSlowClients trickles requests a byte at a time: each is cut off once
// READ_TIMEOUT passes, and a gRPC connection left without calls is closed.
func TestSlowClients(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.ReadHeaderTimeout, cfg.ReadTimeout, cfg.GRPCIdleTimeout = time.Second, time.Second, time.Second
	s := servertest.Start(t, cfg)

	t.Run("REST body", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.App.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		defer trickle(func() error { _, err := io.WriteString(conn, " "); return err })()
		_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer to a trickled body: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		if e := servertest.DecodeError(t, body); resp.StatusCode != http.StatusRequestTimeout || e.Error.Reason != "BODY_TIMEOUT" {
			t.Errorf("trickled body: %d %s", resp.StatusCode, body)
		}
		if _, err := conn.Read(make([]byte, 1)); err == nil {
			t.Error("the connection stayed open after the timeout")
		}
	})

	t.Run("gRPC message", func(t *testing.T) {
		c := dialH2(t, s.App.Addr().String())
		c.open(1, "/hiremebahamas.v1.JobService/GetJobStats", "application/grpc")
		// A 5-byte message prefix announcing 100 bytes, sent slowly.
		prefix := []byte{0, 0, 0, 0, 100}
		if err := c.data(1, prefix); err != nil {
			t.Fatal(err)
		}
		defer trickle(func() error { return c.data(1, []byte{0x08}) })()
		ended, goaway := false, false
		timeout := time.After(20 * time.Second)
		for !ended || !goaway {
			select {
			case f, ok := <-c.frames:
				if !ok { // the server closed the connection
					if !ended {
						t.Fatal("the connection closed before the slow stream was ended")
					}
					return
				}
				switch f := f.(type) {
				case *http2.RSTStreamFrame:
					ended = ended || f.StreamID == 1
				case *endCopy:
					ended = ended || f.streamID == 1 && f.ended
				case *http2.GoAwayFrame:
					goaway = true
				}
			case <-timeout:
				t.Fatalf("after 20 s: slow stream ended %v, idle connection told to go away %v", ended, goaway)
			}
		}
	})
}

// trickle calls send every 200 ms until it fails or the returned stop is
// called: a client sending a request a byte at a time.
func trickle(send func() error) (stop func()) {
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(200 * time.Millisecond):
				if send() != nil {
					return
				}
			}
		}
	}()
	return func() { close(done) }
}

// TestConnectionLimit holds MAX_CONNECTIONS connections open: the next one
// is not served until one of them closes.
func TestConnectionLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.MaxConnections = 16
	s := servertest.Start(t, cfg)
	var held []net.Conn
	for range cfg.MaxConnections {
		conn, err := net.Dial("tcp", s.App.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		held = append(held, conn)
	}
	get := func(timeout time.Duration) error {
		client := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := client.Get(s.Base + "/live")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	var netErr net.Error
	if err := get(time.Second); !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("with %d connections open, another was served: %v", len(held), err)
	}
	held[0].Close()
	servertest.Eventually(t, 10*time.Second, "a connection is served once one closes", func() bool { return get(2*time.Second) == nil })
}

// TestStreamRateLimit: opening streams takes tokens from the client's
// bucket, as calls do.
func TestStreamRateLimit(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.RateLimit, cfg.RateBurst = 0.01, 3
	s := servertest.Start(t, cfg)
	refl := reflectionpb.NewServerReflectionClient(s.Conn)
	var err error
	for i := range 4 {
		var stream reflectionpb.ServerReflection_ServerReflectionInfoClient
		if stream, err = refl.ServerReflectionInfo(context.Background()); err != nil {
			break
		}
		// A stream the server has ended says so only in what Recv returns.
		if err = stream.Send(&reflectionpb.ServerReflectionRequest{MessageRequest: &reflectionpb.ServerReflectionRequest_ListServices{}}); err != nil && err != io.EOF {
			break
		}
		if _, err = stream.Recv(); err != nil {
			if i < 3 {
				t.Fatalf("stream %d within the burst: %v", i+1, err)
			}
			break
		}
		_ = stream.CloseSend()
	}
	if st := status.Convert(err); st.Code() != codes.ResourceExhausted || !strings.Contains(st.Message(), "too many requests") {
		t.Errorf("the stream over the limit: %v", err)
	}
}
