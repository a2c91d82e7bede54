package listen

import (
	"errors"
	"io"
	"sync"
)

// A front proxy sends the requests of many clients over shared connections,
// so a request is smuggled past it when it and this server see a request end
// in different places. net/http's HTTP/1 parser accepts framing that a proxy
// may read otherwise (a header continued on the next line, a bare LF or CR
// ending a line, Content-Length twice, Content-Length with Transfer-Encoding,
// where it follows the latter) and has no setting to refuse it. So HTTP/1.x
// connections are read through http1Conn, which follows the framing of every
// request on them, pipelined ones included, and holds each header section
// back until it has all of it.
//
// A section with an obs-fold, a bare LF or CR, more than one Content-Length
// or Transfer-Encoding or both, a Content-Length that is not plain digits, or
// a Transfer-Encoding other than "chunked" or outside HTTP/1.1, is refused:
// the first byte of its request line becomes one that no method contains, so
// net/http itself answers 400, after the answers to the requests before it,
// and closes the connection without reading on. Where the framing cannot be
// followed (a malformed chunk line, say), reads fail instead: nothing the
// checks have not seen reaches net/http.

// refusedMark replaces the first byte of a refused request's line. It is not
// a token character, so net/http finds no valid method.
const refusedMark = '@'

// defaultMaxHeaderBytes is net/http's default MaxHeaderBytes, for a server
// that sets none.
const defaultMaxHeaderBytes = 1 << 20

const (
	// maxChunkLine is the longest chunk-size line followed; net/http refuses
	// a line of 4 KiB.
	maxChunkLine = 4 << 10
	// maxTrailer is the longest trailer section followed; net/http refuses
	// one that does not fit its 4 KiB read buffer.
	maxTrailer = 4 << 10
	// netHTTPReadBuffer is the size of the buffer net/http reads a
	// connection through.
	netHTTPReadBuffer = 4 << 10
)

// errFraming ends reading from a connection whose framing cannot be followed.
var errFraming = errors.New("HTTP/1.x framing that cannot be followed")

// http1Conn is an HTTP/1.x connection whose requests net/http reads only
// once their framing has been checked.
type http1Conn struct {
	*replayConn
	in framedReader
}

// net/http half-closes before closing a connection with input unread.
var _ interface{ CloseWrite() error } = (*http1Conn)(nil)

// newHTTP1Conn checks the requests on c for a server with the given
// MaxHeaderBytes. net/http reads at most MaxHeaderBytes+4096 bytes for a
// header section beyond what its buffer already held, so it refuses (431) a
// longer section whatever it holds; such a section is passed on unchecked.
func newHTTP1Conn(c *replayConn, maxHeaderBytes int) *http1Conn {
	return &http1Conn{replayConn: c, in: newFramedReader(c, maxHeaderBytes)}
}

func newFramedReader(src io.Reader, maxHeaderBytes int) framedReader {
	if maxHeaderBytes <= 0 {
		maxHeaderBytes = defaultMaxHeaderBytes
	}
	return framedReader{src: src, f: framing{headerLimit: maxHeaderBytes + 4096 + netHTTPReadBuffer}}
}

func (c *http1Conn) Read(p []byte) (int, error) { return c.in.Read(p) }

// framingBufs hold bytes that a framedReader holds back.
var framingBufs = sync.Pool{New: func() any {
	b := make([]byte, netHTTPReadBuffer)
	return &b
}}

// directRead is the smallest read made straight into the caller's buffer:
// net/http's reads of a request are, its peeks of 1 and 14 bytes are not.
const directRead = 1 << 10

// framedReader returns what framing lets through of what src reads.
type framedReader struct {
	src io.Reader
	f   framing

	// buf[start:ready] may be returned; buf[ready:end] is held back until
	// the element it starts is seen whole. buf is nil while empty.
	buf               *[]byte
	start, ready, end int
	err               error // returned once buf[start:ready] is
}

func (r *framedReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if r.start < r.ready {
			n := copy(p, (*r.buf)[r.start:r.ready])
			r.start += n
			r.release()
			return n, nil
		}
		if r.err != nil {
			return 0, r.err
		}
		var err error
		if r.buf == nil && (r.f.dataLeft() > 0 || len(p) >= directRead) {
			var n int
			if n, err = r.readInto(p); n > 0 {
				return n, err
			}
		} else {
			err = r.fill()
		}
		if err != nil {
			r.release()
			return 0, err
		}
	}
}

// readInto reads into p, nothing being held back, and returns how much of
// it may pass; it holds back the rest.
func (r *framedReader) readInto(p []byte) (int, error) {
	n, err := r.src.Read(p)
	k, ferr := r.f.scan(p[:n])
	switch {
	case ferr != nil:
		r.err = ferr
	case k < n:
		r.buf = framingBufs.Get().(*[]byte)
		r.grow(n - k)
		r.start, r.ready, r.end = 0, 0, copy(*r.buf, p[k:n])
	}
	return k, err
}

// fill reads more of the element held back, nothing being ready, and scans
// it.
func (r *framedReader) fill() error {
	if r.buf == nil {
		r.buf = framingBufs.Get().(*[]byte)
	}
	if r.end == len(*r.buf) {
		// No room behind the element: move it to the front, or grow.
		held := copy(*r.buf, (*r.buf)[r.ready:r.end])
		r.start, r.ready, r.end = 0, 0, held
		r.grow(held + 1)
	}
	b := *r.buf
	n, err := r.src.Read(b[r.end:])
	k, ferr := r.f.scan(b[r.ready : r.end+n])
	r.ready += k
	r.end += n
	if ferr != nil {
		r.err, r.end = ferr, r.ready
	}
	if k > 0 || ferr != nil {
		return nil
	}
	return err
}

// grow makes buf hold at least n bytes, keeping its first r.end.
func (r *framedReader) grow(n int) {
	if n <= len(*r.buf) {
		return
	}
	b := make([]byte, max(n, 2*len(*r.buf)))
	copy(b, (*r.buf)[:r.end])
	r.buf = &b
}

// release gives back the buffer once it holds nothing.
func (r *framedReader) release() {
	if r.buf == nil || r.start < r.end {
		return
	}
	if len(*r.buf) == netHTTPReadBuffer {
		framingBufs.Put(r.buf)
	}
	r.buf, r.start, r.ready, r.end = nil, 0, 0, 0
}
