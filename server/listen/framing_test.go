package listen_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// framingStep is bytes written on a raw connection and the answers read
// before the next step is written.
type framingStep struct {
	send    string
	answers []framingAnswer
}

type framingAnswer struct {
	status int
	head   bool // the answer to a HEAD request, which has no body
}

// TestHTTP1Framing sends raw HTTP/1.x requests whose framing a front proxy
// could read differently from net/http. Each is refused with 400 before any
// handler runs, after the answers to the requests before it, and the
// connection closes, so that the request hidden behind it (where net/http
// would find one, or a proxy would) is never answered. Where a body's framing
// cannot be followed, the connection closes after the answer to the request
// it belongs to. Requests framed plainly, on keep-alive connections and
// pipelined, are still served.
func TestHTTP1Framing(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))

	t.Run("connections", func(t *testing.T) {
		for _, tc := range framingCases() {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				checkFraming(t, s.App.Addr().String(), tc.steps, tc.closed)
			})
		}
	})

	// Answers come after the handler's log line, so every handler that ran
	// has logged by now.
	var ran []string
	seen := false
	for _, rec := range s.Logs.Lines("request") {
		path, _ := rec["path"].(string)
		if strings.HasSuffix(path, "/refused") || strings.HasSuffix(path, "/hidden") {
			ran = append(ran, path)
		}
		seen = seen || path == "/framing/keep-alive/ok"
	}
	if len(ran) > 0 {
		t.Errorf("handlers ran for refused or hidden requests: %v", ran)
	}
	if !seen {
		t.Error("the log has no line for a request that was served")
	}
}

// framingCase is a connection of TestHTTP1Framing; FuzzHTTP1Framing starts
// from what they send.
type framingCase struct {
	name   string
	steps  []framingStep
	closed bool // the connection must close after the last answer
}

func framingCases() []framingCase {
	refused := []framingAnswer{{status: http.StatusBadRequest}}
	// bad is a request to a path of its own with the given header fields
	// and body, followed by a request a proxy could take for the next one.
	bad := func(slug, version, fields, body string) string {
		return "POST /framing/" + slug + "/refused HTTP/" + version + "\r\nHost: api\r\n" + fields + "\r\n" + body +
			"GET /framing/" + slug + "/hidden HTTP/1.1\r\nHost: api\r\n\r\n"
	}
	// cut is a chunked request with the given chunks, followed by a
	// request hidden behind them. Its body cannot be read whole, so it is
	// answered 400 BODY_UNREADABLE.
	cut := func(slug, chunks string) string {
		return "POST /framing/" + slug + "/cut HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks +
			"GET /framing/" + slug + "/hidden HTTP/1.1\r\nHost: api\r\n\r\n"
	}
	chunked := "0\r\n\r\n"
	// A refresh with a token that is not one: 401 once the body is read
	// whole, 400 if it were cut short.
	refresh := `{"refresh_token":"not a refresh token, but long enough to be cut into chunks"}`
	refreshCL := "POST /api/v1/auth/refresh HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: " +
		fmt.Sprint(len(refresh)) + "\r\n\r\n" + refresh
	health := "GET /health HTTP/1.1\r\nHost: api\r\n\r\n"
	ok := func(statuses ...int) []framingAnswer {
		var out []framingAnswer
		for _, s := range statuses {
			out = append(out, framingAnswer{status: s})
		}
		return out
	}

	return []framingCase{
		// Refused.
		{name: "folded Transfer-Encoding", closed: true, steps: []framingStep{{
			send: bad("folded-te", "1.1", "Transfer-Encoding:\r\n chunked\r\n", chunked), answers: refused}}},
		{name: "folded Content-Length", closed: true, steps: []framingStep{{
			send: bad("folded-cl", "1.1", "Content-Length:\r\n 5\r\n", "hello"), answers: refused}}},
		{name: "folded ordinary header", closed: true, steps: []framingStep{{
			send: bad("folded-note", "1.1", "X-Note: long\r\n\tand folded\r\nContent-Length: 0\r\n", ""), answers: refused}}},
		{name: "Content-Length twice, same value", closed: true, steps: []framingStep{{
			send: bad("cl-twice", "1.1", "Content-Length: 5\r\nContent-Length: 5\r\n", "hello"), answers: refused}}},
		{name: "Transfer-Encoding twice", closed: true, steps: []framingStep{{
			send: bad("te-twice", "1.1", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", chunked), answers: refused}}},
		{name: "Content-Length and Transfer-Encoding", closed: true, steps: []framingStep{{
			send: bad("cl-te", "1.1", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", chunked), answers: refused}}},
		{name: "Content-Length 5, 5", closed: true, steps: []framingStep{{
			send: bad("cl-list", "1.1", "Content-Length: 5, 5\r\n", "hello"), answers: refused}}},
		{name: "Content-Length +5", closed: true, steps: []framingStep{{
			send: bad("cl-sign", "1.1", "Content-Length: +5\r\n", "hello"), answers: refused}}},
		{name: "Transfer-Encoding chunked, chunked", closed: true, steps: []framingStep{{
			send: bad("te-list", "1.1", "Transfer-Encoding: chunked, chunked\r\n", chunked), answers: refused}}},
		{name: "Transfer-Encoding gzip", closed: true, steps: []framingStep{{
			send: bad("te-gzip", "1.1", "Transfer-Encoding: gzip\r\nContent-Length: 0\r\n", ""), answers: refused}}},
		{name: "Transfer-Encoding in HTTP/1.0", closed: true, steps: []framingStep{{
			send: bad("te-http10", "1.0", "Connection: keep-alive\r\nTransfer-Encoding: chunked\r\n", chunked), answers: refused}}},
		{name: "bare LF", closed: true, steps: []framingStep{{
			send:    "GET /framing/bare-lf/refused HTTP/1.1\nHost: api\n\n" + "GET /framing/bare-lf/hidden HTTP/1.1\r\nHost: api\r\n\r\n",
			answers: refused}}},
		{name: "bare LF ending the section", closed: true, steps: []framingStep{{
			send: bad("bare-lf-end", "1.1", "Content-Length: 0\n", ""), answers: refused}}},
		{name: "bare CR", closed: true, steps: []framingStep{{
			send: bad("bare-cr", "1.1", "X-Note: a\rContent-Length: 0\r\n", ""), answers: refused}}},
		{name: "bad after a good one on a keep-alive connection", closed: true, steps: []framingStep{
			{send: "GET /framing/keep-alive/ok HTTP/1.1\r\nHost: api\r\n\r\n", answers: ok(http.StatusNotFound)},
			{send: bad("keep-alive", "1.1", "Transfer-Encoding:\r\n chunked\r\n", chunked), answers: refused},
		}},
		{name: "control character in a chunk extension", closed: true, steps: []framingStep{{
			send: cut("chunk-ext", "5;\x01\r\nhello\r\n0\r\n\r\n"), answers: refused}}},
		{name: "bare LF in a trailer", closed: true, steps: []framingStep{{
			send: cut("trailer-lf", "0\r\nX-Checksum: none\n\r\n"), answers: refused}}},
		{name: "pipelined good and bad", closed: true, steps: []framingStep{{
			send:    refreshCL + bad("pipelined", "1.1", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", chunked),
			answers: append(ok(http.StatusUnauthorized), refused...)}}},

		// Served.
		{name: "Content-Length body", steps: []framingStep{{send: refreshCL + health, answers: ok(http.StatusUnauthorized, http.StatusOK)}}},
		{name: "chunked body with extensions and trailers", steps: []framingStep{{
			send: "POST /api/v1/auth/refresh HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n" +
				fmt.Sprintf("%x;part=one\r\n%s\r\n", 10, refresh[:10]) +
				fmt.Sprintf("%X;part=\"two\"\r\n%s\r\n", len(refresh)-10, refresh[10:]) +
				"0;last\r\nX-Checksum: none\r\n\r\n" + health,
			answers: ok(http.StatusUnauthorized, http.StatusOK)}}},
		{name: "empty chunked body", steps: []framingStep{{
			send:    "POST /framing/empty-chunked/ok HTTP/1.1\r\nHost: api\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + health,
			answers: ok(http.StatusNotFound, http.StatusOK)}}},
		{name: "several keep-alive requests", steps: []framingStep{
			{send: health, answers: ok(http.StatusOK)},
			{send: refreshCL, answers: ok(http.StatusUnauthorized)},
			{send: "GET /framing/several/ok HTTP/1.1\r\nHost: api\r\n\r\n", answers: ok(http.StatusNotFound)},
			{send: health, answers: ok(http.StatusOK)},
		}},
		{name: "pipelined requests", steps: []framingStep{{send: health + refreshCL + health + health,
			answers: ok(http.StatusOK, http.StatusUnauthorized, http.StatusOK, http.StatusOK)}}},
		{name: "HEAD", steps: []framingStep{{send: "HEAD /health HTTP/1.1\r\nHost: api\r\n\r\n" + health,
			answers: []framingAnswer{{status: http.StatusOK, head: true}, {status: http.StatusOK}}}}},
		{name: "GET with a body", steps: []framingStep{{send: "GET /health HTTP/1.1\r\nHost: api\r\nContent-Length: 5\r\n\r\nhello" + health,
			answers: ok(http.StatusOK, http.StatusOK)}}},
		{name: "CRLF after a POST body", steps: []framingStep{{send: refreshCL + "\r\n" + health,
			answers: ok(http.StatusUnauthorized, http.StatusOK)}}},
		{name: "Expect: 100-continue", steps: []framingStep{
			{send: strings.Replace(strings.TrimSuffix(refreshCL, refresh), "\r\n\r\n", "\r\nExpect: 100-continue\r\n\r\n", 1),
				answers: ok(http.StatusContinue)},
			{send: refresh + health, answers: ok(http.StatusUnauthorized, http.StatusOK)},
		}},
		{name: "HTTP/1.0", closed: true, steps: []framingStep{{send: "GET /health HTTP/1.0\r\n\r\n", answers: ok(http.StatusOK)}}},
		{name: "case of header names", steps: []framingStep{{
			send:    "POST /framing/case/ok HTTP/1.1\r\nHost: api\r\ncontent-type: application/json\r\ncontent-length: 5\r\n\r\nhello" + health,
			answers: ok(http.StatusNotFound, http.StatusOK)}}},
	}
}

// checkFraming writes each step on one connection and reads its answers,
// then, if closed, checks that the server closes the connection without
// answering anything else.
func checkFraming(t *testing.T, addr string, steps []framingStep, closed bool) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	for i, step := range steps {
		if _, err := io.WriteString(conn, step.send); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		for j, want := range step.answers {
			req := &http.Request{Method: http.MethodGet}
			if want.head {
				req.Method = http.MethodHead
			}
			resp, err := http.ReadResponse(br, req)
			if err != nil {
				t.Fatalf("step %d, answer %d: %v", i, j, err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatalf("step %d, answer %d: body: %v", i, j, err)
			}
			if resp.StatusCode != want.status {
				t.Fatalf("step %d, answer %d: %d %q; want %d", i, j, resp.StatusCode, body, want.status)
			}
		}
	}
	if !closed {
		return
	}
	if _, err := br.Peek(1); err == nil {
		rest, _ := br.Peek(br.Buffered())
		t.Fatalf("answered more than expected: %q", rest)
	} else if !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("the connection stayed open: %v", err)
	}
}
