// Package listen splits the one public port between the gRPC server and the
// HTTP server, connection by connection, and bounds what a connection may
// cost before either server sees it.
package listen

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// One port serves gRPC and REST. Rather than run gRPC inside net/http (grpc-go's
// ServeHTTP, a much slower transport), the splitter looks at the start of each
// connection and hands it whole to grpc.Server or http.Server:
//
//   - anything that does not open with the HTTP/2 client preface is HTTP/1.x,
//     whose requests are checked for framing a proxy could read otherwise
//     (framing.go);
//   - HTTP/2 with prior knowledge is gRPC if its first request's content-type
//     is application/grpc, otherwise REST over cleartext HTTP/2.
//
// gRPC clients wait for the server's SETTINGS before sending a request, so the
// splitter sends an empty SETTINGS frame first. grpc-go ignores the extra
// acknowledgement that produces, but net/http's HTTP/2 server rejects an
// acknowledgement it did not ask for, so on the REST path the client's ack of
// the splitter's SETTINGS is removed from the bytes replayed to it.

// Classifying a connection happens before anyone is authenticated, so what it
// may cost is fixed and small: at most maxSniffBytes read and kept, frames no
// larger than HTTP/2's initial maximum (a client may not send larger ones
// before the server raises it, and the splitter's SETTINGS does not), and
// request headers decoded up to MaxHeaderListBytes, the cap both servers
// apply afterwards too. A header block beyond it is read no further than the
// byte budget and decoded no further than the cap.
const (
	maxSniffBytes = 64 << 10
	// MaxSniffFrameBytes is the largest frame a client may send: HTTP/2's
	// initial maximum, which the REST server keeps.
	MaxSniffFrameBytes = 16 << 10
	// MaxHeaderListBytes caps a request's headers on both servers.
	MaxHeaderListBytes = 64 << 10
	// maxClassifying bounds the connections being classified at once; the
	// splitter stops accepting while that many are, so the kernel's backlog
	// holds the rest.
	maxClassifying = 256
)

// Splitter accepts connections from root and queues each for gRPC or HTTP.
type Splitter struct {
	root           net.Listener
	grpc           *connQueue
	http           *connQueue
	timeout        time.Duration
	maxHeaderBytes int // the HTTP server's, for checking HTTP/1.x framing
	log            *slog.Logger
	// classifying holds a token for each connection being classified.
	classifying chan struct{}
}

// NewSplitter splits the connections root accepts. Each must show what it
// carries within timeout; HTTP/1.x framing is checked for a server whose
// MaxHeaderBytes is maxHeaderBytes.
func NewSplitter(root net.Listener, timeout time.Duration, maxHeaderBytes int, log *slog.Logger) *Splitter {
	return &Splitter{root: root, grpc: newConnQueue(root.Addr()), http: newConnQueue(root.Addr()), timeout: timeout,
		maxHeaderBytes: maxHeaderBytes, log: log, classifying: make(chan struct{}, maxClassifying)}
}

// Serve accepts until root is closed.
func (s *Splitter) Serve() error {
	var delay time.Duration
	for {
		s.classifying <- struct{}{}
		c, err := s.root.Accept()
		if err != nil {
			<-s.classifying
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			// Out of file descriptors and the like: back off as net/http does.
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "error", err, "delay", delay)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		go s.route(c)
	}
}

func isTemporary(err error) bool {
	t, ok := err.(interface{ Temporary() bool })
	return ok && t.Temporary()
}

// Close stops accepting and makes both queues report closed.
func (s *Splitter) Close() error {
	err := s.root.Close()
	s.grpc.Close()
	s.http.Close()
	return err
}

// GRPC is the listener of the connections that carry gRPC.
func (s *Splitter) GRPC() net.Listener { return s.grpc }

// HTTP is the listener of every other connection.
func (s *Splitter) HTTP() net.Listener { return s.http }

// Addr is the address of the port being split.
func (s *Splitter) Addr() net.Addr { return s.root.Addr() }

func (s *Splitter) route(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(s.timeout))
	isGRPC, replay, err := classify(c)
	_ = c.SetDeadline(time.Time{})
	<-s.classifying
	if err != nil {
		c.Close()
		return
	}
	rc := &replayConn{Conn: c, pending: replay}
	switch {
	case isGRPC:
		s.grpc.push(rc)
	case bytes.HasPrefix(replay, []byte(http2.ClientPreface)):
		s.http.push(rc) // cleartext HTTP/2, whose frames say where each request ends
	default:
		s.http.push(newHTTP1Conn(rc, s.maxHeaderBytes))
	}
}

// classify reads the start of a connection and returns whether it carries
// gRPC, and the bytes read that must be replayed to the server that gets it.
func classify(c net.Conn) (isGRPC bool, replay []byte, err error) {
	preface := []byte(http2.ClientPreface)
	buf := make([]byte, 0, 1024)
	var chunk [len(http2.ClientPreface)]byte
	for len(buf) < len(preface) {
		n, err := c.Read(chunk[:len(preface)-len(buf)])
		buf = append(buf, chunk[:n]...)
		if !bytes.HasPrefix(preface, buf) {
			return false, buf, nil
		}
		if err != nil {
			return false, nil, err
		}
	}
	if err := http2.NewFramer(c, nil).WriteSettings(); err != nil {
		return false, nil, err
	}

	rec := &recorder{r: c, buf: buf, limit: maxSniffBytes}
	fr := http2.NewFramer(io.Discard, rec)
	fr.SetMaxReadFrameSize(MaxSniffFrameBytes)
	fr.MaxHeaderListSize = MaxHeaderListBytes
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	decided, ackDropped := false, false
	for {
		start := len(rec.buf)
		f, err := fr.ReadFrame()
		if err != nil {
			return false, nil, err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() && !ackDropped {
				rec.buf = rec.buf[:start]
				ackDropped = true
			}
		case *http2.MetaHeadersFrame:
			if !decided {
				decided = true
				if isGRPCContentType(headerValue(f, "content-type")) {
					return true, rec.buf, nil
				}
			}
		}
		if decided && ackDropped {
			return false, rec.buf, nil
		}
	}
}

func headerValue(f *http2.MetaHeadersFrame, name string) string {
	for _, hf := range f.RegularFields() {
		if hf.Name == name {
			return hf.Value
		}
	}
	return ""
}

func isGRPCContentType(ct string) bool {
	if ct == "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/grpc" || strings.HasPrefix(mt, "application/grpc+"))
}

// errSniffBudget ends the classification of a connection that sent
// maxSniffBytes without a decision.
var errSniffBudget = errors.New("no request headers within the sniffing budget")

// recorder keeps every byte read through it, up to limit bytes in all.
type recorder struct {
	r     io.Reader
	buf   []byte
	limit int
}

func (r *recorder) Read(p []byte) (int, error) {
	room := r.limit - len(r.buf)
	if room <= 0 {
		return 0, errSniffBudget
	}
	if len(p) > room {
		p = p[:room]
	}
	n, err := r.r.Read(p)
	r.buf = append(r.buf, p[:n]...)
	return n, err
}

// replayConn returns the bytes read while classifying before reading on.
type replayConn struct {
	net.Conn
	pending []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// CloseWrite passes net/http's half-close through. Before it closes a
// connection with input still unread (headers over MaxHeaderBytes, say) it
// half-closes and waits, so that the client reads its answer and the end of
// it rather than a reset that discards both.
func (c *replayConn) CloseWrite() error { return closeWrite(c.Conn) }

// closeWrite half-closes c if it can: connection wrappers pass it through.
func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// connQueue is a net.Listener fed by the splitter.
type connQueue struct {
	addr   net.Addr
	conns  chan net.Conn
	closed chan struct{}
	once   sync.Once
}

func newConnQueue(addr net.Addr) *connQueue {
	return &connQueue{addr: addr, conns: make(chan net.Conn), closed: make(chan struct{})}
}

func (q *connQueue) push(c net.Conn) {
	select {
	case q.conns <- c:
	case <-q.closed:
		c.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.closed:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.closed) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }
