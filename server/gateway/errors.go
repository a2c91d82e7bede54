package gateway

import (
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/hiremebahamas/api/server/rpc"
)

// errorBody is the JSON shape of every REST error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code      int              `json:"code"`
	Status    string           `json:"status"`
	Reason    string           `json:"reason"`
	Message   string           `json:"message"`
	RequestID string           `json:"request_id"`
	Fields    []fieldViolation `json:"field_violations,omitempty"`
}

type fieldViolation struct {
	Field       string `json:"field"`
	Description string `json:"description"`
}

// writeStatus renders an error from the gRPC side as JSON with the HTTP
// status grpc-gateway assigns to its code.
func writeStatus(w http.ResponseWriter, r *http.Request, err error) {
	var httpErr *gwruntime.HTTPStatusError
	if errors.As(err, &httpErr) {
		writeError(w, r, httpErr.HTTPStatus, codes.InvalidArgument, "BAD_REQUEST", "the request path is malformed")
		return
	}
	st := status.Convert(err)
	var info *errdetails.ErrorInfo
	var fields []fieldViolation
	for _, d := range st.Details() {
		switch d := d.(type) {
		case *errdetails.ErrorInfo:
			info = d
		case *errdetails.RetryInfo:
			if secs := d.GetRetryDelay().AsDuration().Seconds(); secs > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(secs))))
			}
		case *errdetails.BadRequest:
			for _, v := range d.GetFieldViolations() {
				fields = append(fields, fieldViolation{Field: v.GetField(), Description: v.GetDescription()})
			}
		case *validate.Violations:
			for _, v := range d.GetViolations() {
				fields = append(fields, fieldViolation{Field: protovalidate.FieldPathString(v.GetField()), Description: v.GetMessage()})
			}
		}
	}
	reason, message := rpc.CodeReason(st.Code()), st.Message()
	if info != nil {
		reason = info.Reason
	} else if st.Code() == codes.InvalidArgument && strings.HasPrefix(message, invalidBody) {
		reason = "INVALID_JSON"
	} else if st.Code() != codes.InvalidArgument {
		// Not produced by our error mapping: a transport or framework error
		// whose text may describe internals.
		message = genericMessage(st.Code())
	}
	if st.Code() == codes.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hiremebahamas"`)
	}
	httpStatus := gwruntime.HTTPStatusFromCode(st.Code())
	writeJSONError(w, r, httpStatus, errorDetail{Status: rpc.CodeReason(st.Code()), Reason: reason, Message: message, Fields: fields})
}

// invalidBody begins the message of every REST body that cannot be
// decoded (see jsonBody).
const invalidBody = "the request body is not valid: "

var jsonFieldName = regexp.MustCompile(`field ([a-z][A-Za-z0-9]*)`)

// decodeErrorMessage rewords protojson's errors: it deliberately varies
// their spacing, and names fields in lowerCamelCase where everything else
// here uses the protos' snake_case.
func decodeErrorMessage(m string) string {
	m = strings.TrimSpace(strings.TrimPrefix(strings.ReplaceAll(m, "\u00a0", " "), "proto:"))
	if m == "unexpected EOF" {
		// jsonBody has seen the body is whole: protojson says this only of
		// a \u escape it refuses, a lone UTF-16 surrogate.
		m = `a string holds a \u escape that is not a character`
	}
	m = jsonFieldName.ReplaceAllStringFunc(m, func(s string) string {
		var b strings.Builder
		for _, r := range s {
			if r >= 'A' && r <= 'Z' {
				b.WriteByte('_')
				r += 'a' - 'A'
			}
			b.WriteRune(r)
		}
		return b.String()
	})
	return invalidBody + rpc.Clip(m)
}

func genericMessage(c codes.Code) string {
	switch c {
	case codes.Unavailable:
		return "the service is temporarily unavailable"
	case codes.DeadlineExceeded:
		return "the request took too long"
	case codes.Canceled:
		return "the request was cancelled"
	}
	return "internal error"
}

// writeError renders an error that never reached the gRPC side.
func writeError(w http.ResponseWriter, r *http.Request, httpStatus int, code codes.Code, reason, message string) {
	writeJSONError(w, r, httpStatus, errorDetail{Status: rpc.CodeReason(code), Reason: reason, Message: message})
}

func writeJSONError(w http.ResponseWriter, r *http.Request, httpStatus int, d errorDetail) {
	d.Code = httpStatus
	d.RequestID = w.Header().Get("X-Request-Id")
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Del("Content-Length")
	w.WriteHeader(httpStatus)
	if r.Method != http.MethodHead {
		_ = json.NewEncoder(w).Encode(errorBody{Error: d})
	}
}
