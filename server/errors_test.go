package server_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// Every REST error, the gateway's own routing errors included, has one JSON
// shape with the right status.
func TestRESTErrorShapes(t *testing.T) {
	t.Parallel()
	cfg := servertest.Config(pgtest.NewDatabase(t))
	cfg.MaxBodyBytes = 4096
	s := servertest.Start(t, cfg)

	for _, tc := range []struct {
		name          string
		method, path  string
		body          []byte
		wantCode      int
		wantStatus    string
		wantReason    string
		wantAllow     string
		wantInMessage string
	}{
		{"unknown path", http.MethodGet, "/no/such/route", nil, 404, "NOT_FOUND", "ROUTE_NOT_FOUND", "", "/no/such/route"},
		{"unknown api path", http.MethodGet, "/api/v1/nothing", nil, 404, "NOT_FOUND", "ROUTE_NOT_FOUND", "", "GET /api/v1/nothing"},
		{"wrong method", http.MethodPost, "/health", []byte("{}"), 405, "UNIMPLEMENTED", "METHOD_NOT_ALLOWED", "GET, HEAD", "POST"},
		{"wrong method, no body", http.MethodDelete, "/ready/db", nil, 405, "UNIMPLEMENTED", "METHOD_NOT_ALLOWED", "GET, HEAD", "DELETE"},
		{"body too large", http.MethodPost, "/health", bytes.Repeat([]byte("a"), 5000), 413, "INVALID_ARGUMENT", "BODY_TOO_LARGE", "", "4 KiB"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body *bytes.Reader
			if tc.body != nil {
				body = bytes.NewReader(tc.body)
			}
			var code int
			var header http.Header
			var raw []byte
			if body != nil {
				code, header, raw = s.Do(t, tc.method, tc.path, body, "Content-Type", "application/json")
			} else {
				code, header, raw = s.Do(t, tc.method, tc.path, nil)
			}
			if code != tc.wantCode {
				t.Fatalf("status %d; want %d (body %s)", code, tc.wantCode, raw)
			}
			if ct := header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			e := servertest.DecodeError(t, raw)
			if e.Error.Code != tc.wantCode || e.Error.Status != tc.wantStatus || e.Error.Reason != tc.wantReason {
				t.Errorf("error = %+v; want code %d, status %s, reason %s", e.Error, tc.wantCode, tc.wantStatus, tc.wantReason)
			}
			if !strings.Contains(e.Error.Message, tc.wantInMessage) {
				t.Errorf("message %q does not mention %q", e.Error.Message, tc.wantInMessage)
			}
			if e.Error.RequestID == "" || e.Error.RequestID != header.Get("X-Request-Id") {
				t.Errorf("request_id %q, header %q; want the same, non-empty", e.Error.RequestID, header.Get("X-Request-Id"))
			}
			if got := header.Get("Allow"); got != tc.wantAllow {
				t.Errorf("Allow = %q; want %q", got, tc.wantAllow)
			}
		})
	}
}
