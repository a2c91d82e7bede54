package listen

import "io"

// What FuzzHTTP1Framing, in server_test beside the connections it starts
// from, and BenchmarkHTTP1Framing need of the HTTP/1.x framing checks.

// FramingReader reads a byte stream as an HTTP/1.x connection is read.
type FramingReader = framedReader

// NewFramingReader checks what src reads for a server with the given
// MaxHeaderBytes.
func NewFramingReader(src io.Reader, maxHeaderBytes int) *FramingReader {
	r := newFramedReader(src, maxHeaderBytes)
	return &r
}

// Held is how many bytes read from src are held back.
func (r *framedReader) Held() int { return r.end - r.ready }

// ErrFraming ends a stream whose framing cannot be followed.
var ErrFraming = errFraming

// RefusedMark replaces the first byte of a refused request.
const RefusedMark = refusedMark
