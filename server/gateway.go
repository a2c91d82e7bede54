package server

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"buf.build/gen/go/bufbuild/protovalidate/protocolbuffers/go/buf/validate"
	"buf.build/go/protovalidate"
	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// gatewayServices lists every service with REST bindings, for routing and
// for the Allow header.
var gatewayServices = []protoreflect.ServiceDescriptor{
	hmbv1.File_hiremebahamas_v1_health_proto.Services().ByName("HealthService"),
	hmbv1.File_hiremebahamas_v1_auth_proto.Services().ByName("AuthService"),
	hmbv1.File_hiremebahamas_v1_users_proto.Services().ByName("UserService"),
	hmbv1.File_hiremebahamas_v1_jobs_proto.Services().ByName("JobService"),
}

// newGateway returns the REST handler. It calls the gRPC server through conn,
// so REST requests pass through exactly the interceptors gRPC ones do.
func newGateway(ctx context.Context, conn *grpc.ClientConn, cookieMaxAge time.Duration) (http.Handler, error) {
	allow := newAllowTable(gatewayServices)
	mux := gwruntime.NewServeMux(
		gwruntime.WithMarshalerOption(gwruntime.MIMEWildcard, &gwruntime.HTTPBodyMarshaler{Marshaler: &gwruntime.JSONPb{
			// Field names as written in the protos (snake_case), zero values
			// included; input accepts snake_case and lowerCamelCase alike.
			// google.api.HttpBody responses (JSON-LD) pass through as is.
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{},
		}}),
		gwruntime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			if strings.EqualFold(key, "X-Request-Id") {
				return requestIDKey, true
			}
			return gwruntime.DefaultHeaderMatcher(key)
		}),
		// Response metadata is not echoed as Grpc-Metadata-* headers: the
		// middleware sets the headers REST clients need.
		gwruntime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		gwruntime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		gwruntime.WithMetadata(func(_ context.Context, r *http.Request) metadata.MD {
			return metadata.Pairs(httpMethodKey, r.Method, httpPathKey, r.URL.EscapedPath())
		}),
		gwruntime.WithForwardResponseOption(func(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
			applyCookies(ctx, w, cookieMaxAge)
			return nil
		}),
		gwruntime.WithErrorHandler(func(ctx context.Context, _ *gwruntime.ServeMux, _ gwruntime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
			applyCookies(ctx, w, cookieMaxAge)
			writeStatus(w, r, err)
		}),
		gwruntime.WithRoutingErrorHandler(func(ctx context.Context, _ *gwruntime.ServeMux, _ gwruntime.Marshaler, w http.ResponseWriter, r *http.Request, httpStatus int) {
			switch httpStatus {
			case http.StatusMethodNotAllowed, http.StatusNotImplemented:
				w.Header().Set("Allow", allow.methods(r))
				writeError(w, r, http.StatusMethodNotAllowed, codes.Unimplemented, "METHOD_NOT_ALLOWED",
					r.Method+" is not allowed on "+clip(r.URL.Path))
			case http.StatusNotFound:
				writeError(w, r, http.StatusNotFound, codes.NotFound, "ROUTE_NOT_FOUND", "no route for "+r.Method+" "+clip(r.URL.Path))
			default:
				writeError(w, r, http.StatusBadRequest, codes.InvalidArgument, "BAD_REQUEST", "the request is malformed")
			}
		}),
	)
	for _, register := range []func(context.Context, *gwruntime.ServeMux, *grpc.ClientConn) error{
		hmbv1.RegisterHealthServiceHandler,
		hmbv1.RegisterAuthServiceHandler,
		hmbv1.RegisterUserServiceHandler,
		hmbv1.RegisterJobServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			return nil, err
		}
	}
	return mux, nil
}

// applyCookies turns the refresh-cookie instructions an RPC left in its
// response metadata into Set-Cookie headers. The cookie is HttpOnly, so
// scripts cannot read it, and scoped to the auth routes that use it.
func applyCookies(ctx context.Context, w http.ResponseWriter, maxAge time.Duration) {
	md, ok := gwruntime.ServerMetadataFromContext(ctx)
	if !ok {
		return
	}
	cookie := http.Cookie{Name: refreshCookieName, Path: refreshCookiePath, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode}
	switch {
	case len(md.HeaderMD.Get(setRefreshKey)) > 0:
		cookie.Value = md.HeaderMD.Get(setRefreshKey)[0]
		cookie.MaxAge = int(maxAge.Seconds())
	case len(md.HeaderMD.Get(clearRefreshKey)) > 0:
		cookie.MaxAge = -1
	default:
		return
	}
	http.SetCookie(w, &cookie)
}

// clip bounds client-supplied text echoed in error messages.
func clip(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
}

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
	reason, message := codeReason(st.Code()), st.Message()
	if info != nil {
		reason = info.Reason
	} else if st.Code() == codes.InvalidArgument && strings.HasPrefix(message, "proto:") {
		reason, message = "INVALID_JSON", decodeErrorMessage(message)
	} else if st.Code() != codes.InvalidArgument {
		// Not produced by our error mapping: a transport or framework error
		// whose text may describe internals.
		message = genericMessage(st.Code())
	}
	if st.Code() == codes.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="hiremebahamas"`)
	}
	httpStatus := gwruntime.HTTPStatusFromCode(st.Code())
	writeJSONError(w, r, httpStatus, errorDetail{Status: codeReason(st.Code()), Reason: reason, Message: message, Fields: fields})
}

var jsonFieldName = regexp.MustCompile(`field ([a-z][A-Za-z0-9]*)`)

// decodeErrorMessage rewords the gateway's JSON decoding errors: protojson
// deliberately varies their spacing, and names fields in lowerCamelCase
// where everything else here uses the protos' snake_case.
func decodeErrorMessage(m string) string {
	m = strings.TrimSpace(strings.TrimPrefix(strings.ReplaceAll(m, "\u00a0", " "), "proto:"))
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
	return "the request body is not valid: " + clip(m)
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
	writeJSONError(w, r, httpStatus, errorDetail{Status: codeReason(code), Reason: reason, Message: message})
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

// allowTable knows, from the protos' google.api.http rules, which methods
// each REST path accepts, so that 405 responses can carry Allow.
type allowTable struct{ mux *http.ServeMux }

var pathVariable = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_.]*)(=[^}]*)?\}`)

func newAllowTable(services []protoreflect.ServiceDescriptor) *allowTable {
	t := &allowTable{mux: http.NewServeMux()}
	seen := map[string]bool{}
	add := func(rule *annotations.HttpRule) {
		method, path := ruleMethodPath(rule)
		if path == "" {
			return
		}
		// ServeMux wants whole-segment wildcards with Go identifiers.
		path, _, _ = strings.Cut(path, ":")
		path = pathVariable.ReplaceAllStringFunc(path, func(v string) string {
			name := strings.NewReplacer(".", "_").Replace(pathVariable.FindStringSubmatch(v)[1])
			return "{" + name + "}"
		})
		pattern := method + " " + path
		if !seen[pattern] {
			seen[pattern] = true
			t.mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		}
	}
	for _, svc := range services {
		methods := svc.Methods()
		for i := range methods.Len() {
			rule, ok := proto.GetExtension(methods.Get(i).Options(), annotations.E_Http).(*annotations.HttpRule)
			if !ok || rule == nil {
				continue
			}
			add(rule)
			for _, extra := range rule.GetAdditionalBindings() {
				add(extra)
			}
		}
	}
	return t
}

func ruleMethodPath(rule *annotations.HttpRule) (string, string) {
	switch p := rule.GetPattern().(type) {
	case *annotations.HttpRule_Get:
		return http.MethodGet, p.Get
	case *annotations.HttpRule_Post:
		return http.MethodPost, p.Post
	case *annotations.HttpRule_Put:
		return http.MethodPut, p.Put
	case *annotations.HttpRule_Patch:
		return http.MethodPatch, p.Patch
	case *annotations.HttpRule_Delete:
		return http.MethodDelete, p.Delete
	}
	return "", ""
}

// methods lists the methods accepted on r's path.
func (t *allowTable) methods(r *http.Request) string {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := t.mux.Handler(probe); pattern != "" {
			allowed = append(allowed, m)
		}
	}
	return strings.Join(allowed, ", ")
}
