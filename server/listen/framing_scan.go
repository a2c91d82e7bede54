package listen

import (
	"bytes"
)

type frameState uint8

const (
	inHeader    frameState = iota // a request's header section
	inBody                        // the rest of a Content-Length body
	inChunkSize                   // a chunk-size line
	inChunkData                   // the rest of a chunk's data
	inChunkCR                     // the CRLF after a chunk's data
	inChunkLF
	inTrailer // the trailer section after the last chunk
	// net/http refuses the request last passed and reads nothing after it,
	// so whatever follows passes as it is: an error instead could reach
	// net/http while it still serves the request before, and cancel it.
	refused
	stopped // nothing more may pass
)

// framing follows the framing of HTTP/1.x requests through a byte stream.
type framing struct {
	headerLimit int // the longest header section checked
	state       frameState
	left        uint64 // bytes of the body or chunk still to come
	afterPOST   bool   // the last request was a POST: net/http skips up to 4 CR and LF after it

	// Progress through an element (a header section, chunk-size line or
	// trailer section) not yet seen whole, which begins the next scan.
	line     int // where its current line starts
	searched int // how far it has been searched for LF
	sec      section
}

// section is what the lines of a header section have shown so far.
type section struct {
	started   bool
	prefix    int // CR and LF before the request line, which net/http skips
	refuse    bool
	post      bool
	http11    bool
	lengths   int // Content-Length fields
	encodings int // Transfer-Encoding fields
	length    uint64
}

// dataLeft is how many bytes of body or chunk data come next.
func (f *framing) dataLeft() uint64 {
	if f.state == inBody || f.state == inChunkData {
		return f.left
	}
	return 0
}

// scan follows the framing through b, which begins with the first byte not
// yet passed, and returns how many bytes of b may pass now. It changes the
// request line of a refused request in place. The bytes after those are an
// element not yet seen whole: they must begin b again on the next call,
// followed by more. An error means nothing may pass after the first n bytes.
func (f *framing) scan(b []byte) (n int, err error) {
	for n < len(b) {
		rest := b[n:]
		switch f.state {
		case inBody, inChunkData:
			k := min(uint64(len(rest)), f.left)
			f.left -= k
			n += int(k)
			if f.left == 0 {
				if f.state == inBody {
					f.state = inHeader
				} else {
					f.state = inChunkCR
				}
			}
		case inChunkCR, inChunkLF:
			want, next := byte('\r'), inChunkLF
			if f.state == inChunkLF {
				want, next = '\n', inChunkSize
			}
			if rest[0] != want {
				return n, f.stop()
			}
			n++
			f.state = next
		case inChunkSize:
			end := f.lineEnd(rest)
			if end == 0 {
				if len(rest) >= maxChunkLine {
					return n, f.stop()
				}
				return n, nil
			}
			size, ok := chunkSize(rest[:end])
			if !ok || end > maxChunkLine {
				return n, f.stop()
			}
			f.line, f.searched = 0, 0
			n += end
			if size == 0 {
				f.state = inTrailer
			} else {
				f.state, f.left = inChunkData, size
			}
		case inTrailer:
			end, ok := f.trailer(rest)
			if !ok {
				return n, f.stop()
			}
			if end == 0 {
				return n, nil
			}
			f.line, f.searched = 0, 0
			n += end
			f.state = inHeader
		case inHeader:
			end := f.header(rest)
			if end == 0 && len(rest) <= f.headerLimit {
				return n, nil
			}
			if end == 0 || end > f.headerLimit {
				// Too long for net/http, which refuses it (431).
				f.state = refused
				continue
			}
			s := f.sec
			f.sec, f.line, f.searched = section{}, 0, 0
			f.afterPOST = s.post
			switch {
			case s.refuse:
				rest[s.prefix] = refusedMark
				f.state = refused
			case s.encodings == 1:
				f.state = inChunkSize
			case s.lengths == 1 && s.length > 0:
				f.state, f.left = inBody, s.length
			}
			n += end
		case refused:
			return len(b), nil
		default:
			return n, errFraming
		}
	}
	return n, nil
}

func (f *framing) stop() error {
	f.state = stopped
	return errFraming
}

// lineEnd returns where the line starting at f.line in b ends, just past its
// LF, or 0 if b does not hold all of it.
func (f *framing) lineEnd(b []byte) int {
	from := max(f.searched, f.line)
	i := bytes.IndexByte(b[from:], '\n')
	if i < 0 {
		f.searched = len(b)
		return 0
	}
	f.searched = from + i + 1
	return f.searched
}

// header follows the header section that begins b and returns its length,
// or 0 if b does not hold all of it yet.
func (f *framing) header(b []byte) int {
	s := &f.sec
	if !s.started {
		if f.afterPOST {
			// net/http waits for 4 bytes and skips the CR and LF that
			// begin them.
			k := 0
			for k < len(b) && k < 4 && (b[k] == '\r' || b[k] == '\n') {
				k++
			}
			if k == len(b) && k < 4 {
				return 0
			}
			s.prefix = k
		}
		s.started = true
		f.line = s.prefix
	}
	for {
		end := f.lineEnd(b)
		if end == 0 {
			return 0
		}
		line := b[f.line:end]
		first := f.line == s.prefix
		f.line = end
		if !first && (len(line) == 1 || len(line) == 2 && line[0] == '\r') {
			s.refuse = s.refuse || len(line) == 1 || s.lengths > 1 || s.encodings > 1 ||
				s.lengths > 0 && s.encodings > 0 || s.encodings > 0 && !s.http11
			return end
		}
		s.fieldLine(line, first)
	}
}

var (
	crlf             = []byte("\r\n")
	contentLength    = []byte("Content-Length")
	transferEncoding = []byte("Transfer-Encoding")
)

// fieldLine notes what line, ending in LF and not the empty line that ends
// the section, shows; the request line comes first.
func (s *section) fieldLine(line []byte, first bool) {
	text, ok := bytes.CutSuffix(line, crlf)
	if !ok {
		s.refuse = true // a bare LF
		text = line[:len(line)-1]
	}
	if bytes.IndexByte(text, '\r') >= 0 {
		s.refuse = true // a bare CR
	}
	if first {
		method, rest, _ := bytes.Cut(text, []byte(" "))
		_, proto, _ := bytes.Cut(rest, []byte(" "))
		s.post = string(method) == "POST"
		s.http11 = string(proto) == "HTTP/1.1"
		s.refuse = s.refuse || len(text) == 0
		return
	}
	if text[0] == ' ' || text[0] == '\t' {
		s.refuse = true // obs-fold
		return
	}
	name, value, ok := bytes.Cut(text, []byte(":"))
	switch {
	case !ok:
	case len(name) == len(contentLength) && bytes.EqualFold(name, contentLength):
		s.lengths++
		s.length, ok = parseLength(trimOWS(value))
		s.refuse = s.refuse || !ok
	case len(name) == len(transferEncoding) && bytes.EqualFold(name, transferEncoding):
		s.encodings++
		s.refuse = s.refuse || string(trimOWS(value)) != "chunked"
	}
}

// trailer follows the trailer section that begins b and returns its length,
// or 0 if b does not hold all of it yet; ok is false if it cannot be
// followed. Its lines end in CRLF and none is folded, so that net/http
// cannot find its end elsewhere.
func (f *framing) trailer(b []byte) (n int, ok bool) {
	for {
		end := f.lineEnd(b)
		if end == 0 {
			return 0, len(b) < maxTrailer
		}
		line := b[f.line:end]
		text, ok := bytes.CutSuffix(line, crlf)
		if end > maxTrailer || !ok || bytes.IndexByte(text, '\r') >= 0 || len(text) > 0 && (text[0] == ' ' || text[0] == '\t') {
			return 0, false
		}
		f.line = end
		if len(text) == 0 {
			return end, true
		}
	}
}

// chunkSize parses a chunk-size line: hex digits, then optionally
// extensions after ";" or whitespace, then CRLF, as net/http reads it and
// with nothing but visible ASCII, space and tab after the digits.
func chunkSize(line []byte) (uint64, bool) {
	text, ok := bytes.CutSuffix(line, crlf)
	if !ok {
		return 0, false
	}
	var size uint64
	i := 0
	for ; i < len(text); i++ {
		d, ok := unhex(text[i])
		if !ok {
			break
		}
		if i == 16 {
			return 0, false
		}
		size = size<<4 | uint64(d)
	}
	if i == 0 {
		return 0, false
	}
	ext := len(text) > i && text[i] == ';'
	for _, c := range text[i:] {
		if c != ' ' && c != '\t' && (!ext || c < 0x21 || c > 0x7e) {
			return 0, false
		}
	}
	return size, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// parseLength parses a Content-Length as net/http does, but only plain
// digits.
func parseLength(v []byte) (uint64, bool) {
	if len(v) == 0 {
		return 0, false
	}
	var n uint64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<63-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
