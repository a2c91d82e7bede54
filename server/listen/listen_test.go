package listen

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// clientBytes builds what an HTTP/2 client sends: the preface, its SETTINGS,
// optionally an ack of the server's SETTINGS, then request headers.
func clientBytes(t *testing.T, contentType string, ackFirst bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&buf, nil)
	if err := fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 20}); err != nil {
		t.Fatal(err)
	}
	ack := func() {
		if err := fr.WriteSettingsAck(); err != nil {
			t.Fatal(err)
		}
	}
	if ackFirst {
		ack()
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range []hpack.HeaderField{
		{Name: ":method", Value: "POST"}, {Name: ":scheme", Value: "http"},
		{Name: ":path", Value: "/x"}, {Name: ":authority", Value: "localhost"},
		{Name: "content-type", Value: contentType},
	} {
		enc.WriteField(f)
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndHeaders: true}); err != nil {
		t.Fatal(err)
	}
	if !ackFirst {
		ack()
	}
	return buf.Bytes()
}

func classifyBytes(t *testing.T, in []byte) (bool, []byte, error) {
	t.Helper()
	server, client := net.Pipe()
	defer server.Close()
	defer client.Close()
	go io.Copy(io.Discard, client) // the splitter's SETTINGS
	go client.Write(in)
	server.SetDeadline(time.Now().Add(5 * time.Second))
	return classify(server)
}

func TestClassify(t *testing.T) {
	ack := []byte{0, 0, 0, byte(http2.FrameSettings), byte(http2.FlagSettingsAck), 0, 0, 0, 0}

	// A short HTTP/1.0 request, shorter than the HTTP/2 preface, is
	// recognised without waiting for more bytes.
	short := []byte("GET / HTTP/1.0\r\n\r\n")
	isGRPC, replay, err := classifyBytes(t, short)
	if err != nil || isGRPC || !bytes.HasPrefix(short, replay) || len(replay) == 0 {
		t.Errorf("HTTP/1.0: grpc=%v replay=%q err=%v", isGRPC, replay, err)
	}

	for _, ackFirst := range []bool{true, false} {
		in := clientBytes(t, "application/grpc+proto", ackFirst)
		isGRPC, replay, err := classifyBytes(t, in)
		if err != nil || !isGRPC {
			t.Errorf("gRPC (ack first %v): grpc=%v err=%v", ackFirst, isGRPC, err)
		}
		// gRPC tolerates the extra ack, so whatever was read is replayed,
		// minus at most the ack.
		if !bytes.Equal(replay, in) && !bytes.Equal(replay, bytes.Replace(in, ack, nil, 1)) {
			t.Errorf("gRPC replay differs from the input")
		}

		in = clientBytes(t, "application/json", ackFirst)
		isGRPC, replay, err = classifyBytes(t, in)
		if err != nil || isGRPC {
			t.Fatalf("REST over h2c (ack first %v): grpc=%v err=%v", ackFirst, isGRPC, err)
		}
		// net/http must not see the ack of SETTINGS it never sent.
		if want := bytes.Replace(in, ack, nil, 1); !bytes.Equal(replay, want) {
			t.Errorf("REST over h2c (ack first %v): replay keeps the splitter's ack", ackFirst)
		}
	}

	// A connection that says nothing is dropped at the deadline.
	server, client := net.Pipe()
	defer client.Close()
	server.SetDeadline(time.Now().Add(50 * time.Millisecond))
	if _, _, err := classify(server); err == nil {
		t.Error("a silent connection was classified")
	}
}

// countingConn counts the bytes read through it.
type countingConn struct {
	net.Conn
	read int
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.read += n
	return n, err
}

// TestClassifyBounds sends header bombs to the splitter: each is refused
// having cost no more than the sniffing budget, however much it announces.
func TestClassifyBounds(t *testing.T) {
	preface := func(fr *http2.Framer, buf *bytes.Buffer) {
		buf.WriteString(http2.ClientPreface)
		if err := fr.WriteSettings(); err != nil {
			t.Fatal(err)
		}
	}
	huge := func(n int) []byte {
		var block bytes.Buffer
		enc := hpack.NewEncoder(&block)
		enc.WriteField(hpack.HeaderField{Name: ":method", Value: "POST"})
		enc.WriteField(hpack.HeaderField{Name: "x-bomb", Value: string(bytes.Repeat([]byte("a"), n))})
		return block.Bytes()
	}
	cases := map[string]func() []byte{
		// One frame announcing 16 MiB (the protocol's largest), then its bytes.
		"16 MiB frame": func() []byte {
			var buf bytes.Buffer
			fr := http2.NewFramer(&buf, nil)
			preface(fr, &buf)
			block := huge(16<<20 - 100)
			hdr := []byte{byte(len(block) >> 16), byte(len(block) >> 8), byte(len(block)), byte(http2.FrameHeaders), byte(http2.FlagHeadersEndHeaders), 0, 0, 0, 1}
			buf.Write(hdr)
			buf.Write(block)
			return buf.Bytes()
		},
		// Allowed frames, but a header block of 4 MiB in CONTINUATIONs.
		"continuation flood": func() []byte {
			var buf bytes.Buffer
			fr := http2.NewFramer(&buf, nil)
			preface(fr, &buf)
			block := huge(4 << 20)
			const chunk = 16 << 10
			if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block[:chunk]}); err != nil {
				t.Fatal(err)
			}
			for off := chunk; off < len(block); off += chunk {
				end := min(off+chunk, len(block))
				if err := fr.WriteContinuation(1, end == len(block), block[off:end]); err != nil {
					t.Fatal(err)
				}
			}
			return buf.Bytes()
		},
		// Frames that never carry headers.
		"ping flood": func() []byte {
			var buf bytes.Buffer
			fr := http2.NewFramer(&buf, nil)
			preface(fr, &buf)
			for range 20000 {
				if err := fr.WritePing(false, [8]byte{}); err != nil {
					t.Fatal(err)
				}
			}
			return buf.Bytes()
		},
	}
	for name, build := range cases {
		t.Run(name, func(t *testing.T) {
			in := build()
			server, client := net.Pipe()
			defer client.Close()
			go io.Copy(io.Discard, client)
			go client.Write(in)
			c := &countingConn{Conn: server}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			isGRPC, _, err := classify(c)
			server.Close()
			if err == nil {
				t.Errorf("classified (grpc=%v) after reading %d of %d bytes", isGRPC, c.read, len(in))
			}
			if c.read > maxSniffBytes+len(http2.ClientPreface) {
				t.Errorf("read %d bytes; the budget is %d", c.read, maxSniffBytes)
			}
		})
	}
}
