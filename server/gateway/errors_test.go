package gateway

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/hiremebahamas/api/server/rpc"
)

// Every gRPC status renders as the one JSON error shape with the HTTP status
// the gateway assigns, and text that did not come from our own error mapping
// is not shown.
func TestWriteStatus(t *testing.T) {
	retry, _ := rpc.WithReason(codes.ResourceExhausted, "TOO_MANY_ATTEMPTS", "slow down").
		WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(1500 * time.Millisecond)})
	invalid, _ := status.New(codes.InvalidArgument, "validation error").WithDetails(&validate.Violations{
		Violations: []*validate.Violation{{
			Field:   &validate.FieldPath{Elements: []*validate.FieldPathElement{{FieldName: proto.String("email")}}},
			Message: proto.String("value must be a valid email address"),
		}},
	})
	for _, tc := range []struct {
		name        string
		st          *status.Status
		wantHTTP    int
		wantReason  string
		wantMessage string
		wantHeader  [2]string
		wantField   string
	}{
		{"invalid with violations", invalid, 400, "INVALID_ARGUMENT", "validation error", [2]string{}, "email"},
		{"unauthenticated", rpc.WithReason(codes.Unauthenticated, "TOKEN_EXPIRED", "the token has expired"), 401, "TOKEN_EXPIRED", "the token has expired", [2]string{"WWW-Authenticate", `Bearer realm="hiremebahamas"`}, ""},
		{"permission denied", rpc.WithReason(codes.PermissionDenied, "NOT_OWNER", "not yours"), 403, "NOT_OWNER", "not yours", [2]string{}, ""},
		{"not found", rpc.WithReason(codes.NotFound, "JOB_NOT_FOUND", "no such job"), 404, "JOB_NOT_FOUND", "no such job", [2]string{}, ""},
		{"already exists", rpc.WithReason(codes.AlreadyExists, "EMAIL_TAKEN", "taken"), 409, "EMAIL_TAKEN", "taken", [2]string{}, ""},
		{"aborted", rpc.WithReason(codes.Aborted, "ETAG_MISMATCH", "changed"), 409, "ETAG_MISMATCH", "changed", [2]string{}, ""},
		{"too many", retry, 429, "TOO_MANY_ATTEMPTS", "slow down", [2]string{"Retry-After", "2"}, ""},
		{"internal", rpc.WithReason(codes.Internal, "INTERNAL", "internal error"), 500, "INTERNAL", "internal error", [2]string{}, ""},
		{"unavailable", rpc.WithReason(codes.Unavailable, "DATABASE_UNAVAILABLE", "the database is unavailable"), 503, "DATABASE_UNAVAILABLE", "the database is unavailable", [2]string{}, ""},
		{"transport error text is hidden", status.New(codes.Unavailable, "connection error: desc = \"transport: Error while dialing: dial tcp 10.0.0.5:5432\""), 503, "UNAVAILABLE", "the service is temporarily unavailable", [2]string{}, ""},
		{"unknown text is hidden", status.New(codes.Unknown, "pq: relation users does not exist"), 500, "UNKNOWN", "internal error", [2]string{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			w.Header().Set("X-Request-Id", "rid-1")
			writeStatus(w, httptest.NewRequest(http.MethodGet, "/x", nil), tc.st.Err())
			if w.Code != tc.wantHTTP {
				t.Errorf("HTTP %d; want %d", w.Code, tc.wantHTTP)
			}
			var body errorBody
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %q: %v", w.Body, err)
			}
			e := body.Error
			if e.Code != tc.wantHTTP || e.Reason != tc.wantReason || e.Message != tc.wantMessage || e.RequestID != "rid-1" ||
				e.Status != rpc.CodeReason(tc.st.Code()) {
				t.Errorf("error %+v; want code %d reason %s message %q", e, tc.wantHTTP, tc.wantReason, tc.wantMessage)
			}
			if tc.wantHeader[0] != "" && w.Header().Get(tc.wantHeader[0]) != tc.wantHeader[1] {
				t.Errorf("%s = %q; want %q", tc.wantHeader[0], w.Header().Get(tc.wantHeader[0]), tc.wantHeader[1])
			}
			if tc.wantField != "" && (len(e.Fields) != 1 || e.Fields[0].Field != tc.wantField || e.Fields[0].Description == "") {
				t.Errorf("field violations %+v; want one for %s", e.Fields, tc.wantField)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}
}
