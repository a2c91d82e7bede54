package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/hiremebahamas/api/internal/pgtest"
)

// TestHeaderBombs: 200 connections, none authenticated, send the largest
// header blocks HTTP/2 lets them announce, again and again, to the splitter,
// to the gRPC and REST servers behind it and to GRPC_PORT. The process's
// peak memory stays within a small multiple of its idle size, and it keeps
// answering.
func TestHeaderBombs(t *testing.T) {
	t.Parallel()
	c := pgtest.StartCluster(t)
	grpcPort := pgtest.FreePort(t)
	p := serve(t, c.URL(), map[string]string{"GRPC_PORT": strconv.Itoa(grpcPort)})
	web := client()
	for range 20 { // warm up, as a serving instance would be
		if code, err := call(t.Context(), web, http.MethodGet, p.base+"/health", "", nil, nil); err != nil || code != http.StatusOK {
			t.Fatalf("health: %d %v", code, err)
		}
	}
	idle := memory(t, p.cmd.Process.Pid, "VmRSS")

	bomb := headerBlock(16<<20 - 1024)
	grpcOnly := net.JoinHostPort("127.0.0.1", strconv.Itoa(grpcPort))
	// Each attack opens a connection and sends a header block of 16 MiB,
	// until the server closes it.
	attacks := map[string]func(net.Conn) error{
		// To the splitter: one frame of 16 MiB.
		"one 16 MiB frame": func(conn net.Conn) error {
			return sendPreface(conn, func(fr *http2.Framer) error {
				n := len(bomb)
				if _, err := conn.Write([]byte{byte(n >> 16), byte(n >> 8), byte(n), byte(http2.FrameHeaders), byte(http2.FlagHeadersEndHeaders), 0, 0, 0, 1}); err != nil {
					return err
				}
				_, err := conn.Write(bomb)
				return err
			})
		},
		// To the splitter: 16 KiB frames continuing one header block.
		"continuation flood": func(conn net.Conn) error {
			return sendPreface(conn, func(fr *http2.Framer) error { return continued(fr, 1, bomb) })
		},
		// A first request that makes the splitter hand the connection over,
		// then the bomb to the server behind it.
		"to the gRPC server": func(conn net.Conn) error {
			return sendPreface(conn, func(fr *http2.Framer) error {
				if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestHeaders("application/grpc"), EndHeaders: true}); err != nil {
					return err
				}
				return continued(fr, 3, bomb)
			})
		},
		"to the REST server": func(conn net.Conn) error {
			return sendPreface(conn, func(fr *http2.Framer) error {
				if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: requestHeaders("application/json"), EndHeaders: true}); err != nil {
					return err
				}
				return continued(fr, 3, bomb)
			})
		},
	}
	type target struct {
		name, addr string
		attack     func(net.Conn) error
	}
	var targets []target
	for name, attack := range attacks {
		targets = append(targets, target{name, p.addr, attack})
	}
	targets = append(targets, target{"GRPC_PORT", grpcOnly, attacks["continuation flood"]})

	const conns = 200
	deadline := time.Now().Add(8 * time.Second)
	var sent, rounds atomic.Int64
	var wg sync.WaitGroup
	for i := range conns {
		tg := targets[i%len(targets)]
		wg.Go(func() {
			for time.Now().Before(deadline) {
				conn, err := net.DialTimeout("tcp", tg.addr, 5*time.Second)
				if err != nil {
					continue
				}
				_ = conn.SetDeadline(deadline.Add(2 * time.Second))
				counted := &countingWriter{Conn: conn}
				_ = tg.attack(counted)
				sent.Add(counted.n)
				rounds.Add(1)
				conn.Close()
			}
		})
	}
	// Mid-attack, the service still answers.
	time.Sleep(4 * time.Second)
	if code, err := call(t.Context(), web, http.MethodGet, p.base+"/health", "", nil, nil); err != nil || code != http.StatusOK {
		t.Errorf("health during the attack: %d %v", code, err)
	}
	wg.Wait()
	peak := memory(t, p.cmd.Process.Pid, "VmHWM")
	t.Logf("idle RSS %.1f MiB; peak RSS %.1f MiB while %d connections sent %.0f MiB of header blocks in %d rounds",
		mib(idle), mib(peak), conns, mib(sent.Load()), rounds.Load())
	// Bounded sniffing costs a few hundred KiB per connection at most; an
	// unbounded one holds what it was sent, gigabytes here.
	if peak-idle > 160<<20 {
		t.Errorf("peak RSS %.1f MiB is %.1f MiB above idle", mib(peak), mib(peak-idle))
	}
	if code, err := call(t.Context(), web, http.MethodGet, p.base+"/health", "", nil, nil); err != nil || code != http.StatusOK {
		t.Errorf("health after the attack: %d %v", code, err)
	}
}

// headerBlock is an HPACK block of one literal header whose value is n
// bytes long.
func headerBlock(n int) []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	_ = enc.WriteField(hpack.HeaderField{Name: ":method", Value: "POST"})
	_ = enc.WriteField(hpack.HeaderField{Name: "x-bomb", Value: strings.Repeat("a", n)})
	return b.Bytes()
}

func requestHeaders(contentType string) []byte {
	var b bytes.Buffer
	enc := hpack.NewEncoder(&b)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"}, {Name: ":path", Value: "/hiremebahamas.v1.HealthService/CheckLiveness"},
		{Name: ":authority", Value: "localhost"}, {Name: "content-type", Value: contentType}, {Name: "te", Value: "trailers"},
	} {
		_ = enc.WriteField(f)
	}
	return b.Bytes()
}

// sendPreface opens an HTTP/2 connection and runs then on it, while
// reading and dropping what the server sends.
func sendPreface(conn net.Conn, then func(*http2.Framer) error) error {
	go io.Copy(io.Discard, conn)
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		return err
	}
	fr := http2.NewFramer(conn, nil)
	if err := fr.WriteSettings(); err != nil {
		return err
	}
	return then(fr)
}

// continued sends block as HEADERS and CONTINUATION frames of 16 KiB.
func continued(fr *http2.Framer, stream uint32, block []byte) error {
	const chunk = 16 << 10
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: stream, BlockFragment: block[:chunk]}); err != nil {
		return err
	}
	for off := chunk; off < len(block); off += chunk {
		end := min(off+chunk, len(block))
		if err := fr.WriteContinuation(stream, end == len(block), block[off:end]); err != nil {
			return err
		}
	}
	return nil
}

type countingWriter struct {
	net.Conn
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.n += int64(n)
	return n, err
}

// memory reads a size from /proc/<pid>/status, such as VmRSS or VmHWM
// (the peak resident size), in bytes.
func memory(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }
