package server

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
