package listen_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hiremebahamas/api/server/listen"
)

// FuzzHTTP1Framing sends byte streams through the HTTP/1.x framing checks in
// pieces of fuzzed sizes, and reads what they pass in reads of fuzzed sizes.
// The checks never panic; what they pass is the stream itself but for the
// first byte of a request they refuse; they stop short of its end only by
// failing or inside an element they still hold back. Every request that
// net/http's parser reads from what they pass has none of the framing they
// refuse, and every request they refuse has some.
func FuzzHTTP1Framing(f *testing.F) {
	for _, tc := range framingCases() {
		var stream strings.Builder
		for _, step := range tc.steps {
			stream.WriteString(step.send)
		}
		f.Add([]byte(stream.String()), []byte{})
		f.Add([]byte(stream.String()), []byte{0, 250, 6, 1, 40, 3})
	}
	for _, stream := range []string{
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi\n\n\n\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhello",
		"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked \r\n\r\n0\r\n\r\n",
		"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
	} {
		f.Add([]byte(stream), []byte{})
	}
	f.Fuzz(func(t *testing.T, stream, sizes []byte) {
		// Longer sections pass unchecked, for net/http to refuse (431).
		if len(stream) > 64<<10 {
			return
		}
		r := listen.NewFramingReader(&pieces{data: stream, sizes: sizes}, 64<<10)
		var out []byte
		var err error
		buf := make([]byte, 64<<10)
		for i := 0; err == nil; i++ {
			var n int
			n, err = r.Read(buf[:sizeAt(sizes, 2*i+1)])
			out = append(out, buf[:n]...)
		}

		if len(out) > len(stream) {
			t.Fatalf("passed %d bytes of %d", len(out), len(stream))
		}
		mark := -1
		for i := range out {
			if out[i] == stream[i] {
				continue
			}
			if out[i] != listen.RefusedMark || mark >= 0 {
				t.Fatalf("byte %d passed as %q; it is %q", i, out[i], stream[i])
			}
			mark = i
		}
		switch {
		case errors.Is(err, listen.ErrFraming):
		case err == io.EOF:
			if len(out)+r.Held() != len(stream) {
				t.Fatalf("passed %d bytes of %d and holds back %d", len(out), len(stream), r.Held())
			}
		default:
			t.Fatalf("read: %v", err)
		}

		if mark >= 0 {
			if section := sectionAt(stream[mark:]); len(framingFaults(section)) == 0 {
				t.Fatalf("refused %q", section)
			}
		}
		for _, section := range acceptedSections(out) {
			if faults := framingFaults(section); len(faults) > 0 {
				t.Fatalf("net/http reads a request with %s: %q", strings.Join(faults, ", "), section)
			}
		}
	})
}

// pieces reads data in pieces whose sizes come from sizes.
type pieces struct {
	data, sizes []byte
	reads       int
}

func (p *pieces) Read(b []byte) (int, error) {
	if len(p.data) == 0 {
		return 0, io.EOF
	}
	n := copy(b[:min(len(b), sizeAt(p.sizes, 2*p.reads))], p.data)
	p.data = p.data[n:]
	p.reads++
	return n, nil
}

// sizeAt is the size of read i: small ones byte by byte, then larger steps.
func sizeAt(sizes []byte, i int) int {
	if len(sizes) == 0 {
		return 64 << 10
	}
	c := int(sizes[i%len(sizes)])
	if c < 200 {
		return c + 1
	}
	return (c - 199) * 512
}

// acceptedSections returns the header sections of the requests that
// net/http's parser reads from stream one after another, as its server does,
// each from its request line to the empty line that ends it.
func acceptedSections(stream []byte) [][]byte {
	cr := &countingReader{r: bytes.NewReader(stream)}
	br := bufio.NewReader(cr)
	at := func() int { return cr.n - br.Buffered() }
	var sections [][]byte
	afterPOST := false
	for {
		if afterPOST {
			// The server's tolerance of CR and LF after a POST.
			peek, _ := br.Peek(4)
			br.Discard(len(peek) - len(bytes.TrimLeft(peek, "\r\n")))
		}
		start := at()
		req, err := http.ReadRequest(br)
		if err != nil {
			return sections
		}
		sections = append(sections, stream[start:at()])
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return sections
		}
		afterPOST = req.Method == http.MethodPost
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// sectionAt returns the header section that begins b, up to the empty line
// that ends it, or all of b.
func sectionAt(b []byte) []byte {
	for i, first := 0, true; ; first = false {
		j := bytes.IndexByte(b[i:], '\n')
		if j < 0 {
			return b
		}
		line := bytes.TrimSuffix(b[i:i+j], []byte("\r"))
		i += j + 1
		if !first && len(line) == 0 {
			return b[:i]
		}
	}
}

var digits = regexp.MustCompile(`^[0-9]+$`)

// framingFaults lists what, in a header section from its request line to the
// empty line that ends it, a front proxy could read differently.
func framingFaults(section []byte) []string {
	var faults []string
	s := string(section)
	if rest := strings.ReplaceAll(s, "\r\n", ""); strings.Contains(rest, "\n") {
		faults = append(faults, "a bare LF")
	} else if strings.Contains(rest, "\r") {
		faults = append(faults, "a bare CR")
	}
	lines := strings.Split(s, "\n")
	for i := range lines {
		lines[i] = strings.TrimSuffix(lines[i], "\r")
	}
	if lines[0] == "" {
		faults = append(faults, "no request line")
	}
	var proto string
	if parts := strings.SplitN(lines[0], " ", 3); len(parts) == 3 {
		proto = parts[2]
	}
	var lengths, codings []string
	for _, line := range lines[1:] {
		if line == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			faults = append(faults, "an obs-fold")
			continue
		}
		name, value, _ := strings.Cut(line, ":")
		value = strings.Trim(value, " \t")
		switch strings.Map(asciiLower, name) {
		case "content-length":
			lengths = append(lengths, value)
		case "transfer-encoding":
			codings = append(codings, value)
		}
	}
	if len(lengths) > 1 || len(codings) > 1 {
		faults = append(faults, "a repeated length or coding")
	}
	if len(lengths) > 0 && len(codings) > 0 {
		faults = append(faults, "Content-Length with Transfer-Encoding")
	}
	for _, v := range lengths {
		if _, err := strconv.ParseInt(v, 10, 64); err != nil || !digits.MatchString(v) {
			faults = append(faults, "Content-Length "+strconv.Quote(v))
		}
	}
	for _, v := range codings {
		if v != "chunked" || proto != "HTTP/1.1" {
			faults = append(faults, "Transfer-Encoding "+strconv.Quote(v)+" in "+strconv.Quote(proto))
		}
	}
	return faults
}

func asciiLower(r rune) rune {
	if 'A' <= r && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}
