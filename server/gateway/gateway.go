package server

import (
	"context"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/hiremebahamas/api/config"
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

// newGateway returns the REST handler. It calls the services through conn,
// which runs the interceptors gRPC calls run.
func newGateway(ctx context.Context, conn grpc.ClientConnInterface, cookie refreshCookie) (http.Handler, error) {
	allow := newAllowTable(gatewayServices)
	mux := gwruntime.NewServeMux(
		gwruntime.WithMarshalerOption(gwruntime.MIMEWildcard, jsonBody{Marshaler: memoMarshaler{Marshaler: &gwruntime.HTTPBodyMarshaler{Marshaler: &gwruntime.JSONPb{
			// Field names as written in the protos (snake_case), zero values
			// included; input accepts snake_case and lowerCamelCase alike.
			// google.api.HttpBody responses (JSON-LD) pass through as is.
			// jsonBody decodes request bodies.
			MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true, EmitUnpopulated: true},
			UnmarshalOptions: protojson.UnmarshalOptions{},
		}}}}),
		// Only the headers the services read become metadata (the gateway
		// passes Authorization itself, tracing its own traceparent); a REST
		// client cannot set arbitrary gRPC metadata with Grpc-Metadata-*
		// headers.
		gwruntime.WithIncomingHeaderMatcher(func(key string) (string, bool) {
			switch strings.ToLower(key) {
			case "x-request-id":
				return requestIDKey, true
			case "cookie":
				return "grpcgateway-cookie", true
			}
			return "", false
		}),
		// Response metadata is not echoed as Grpc-Metadata-* headers: the
		// middleware sets the headers REST clients need.
		gwruntime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		gwruntime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		gwruntime.WithMetadata(func(_ context.Context, r *http.Request) metadata.MD {
			var md metadata.MD
			// The gateway drops Authorization values that gRPC metadata
			// cannot carry (anything but printable ASCII); a stand-in that
			// is no bearer token gets the call refused rather than served
			// as anonymous.
			for _, v := range r.Header.Values("Authorization") {
				if !printableASCII(v) {
					if md == nil {
						md = metadata.MD{}
					}
					md.Append("authorization", "unreadable")
				}
			}
			return md
		}),
		gwruntime.WithForwardResponseRewriter(reuseEncoding),
		gwruntime.WithForwardResponseOption(func(ctx context.Context, w http.ResponseWriter, _ proto.Message) error {
			cookie.apply(ctx, w)
			return nil
		}),
		gwruntime.WithErrorHandler(func(ctx context.Context, _ *gwruntime.ServeMux, _ gwruntime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
			call := noteRoute(ctx) // a request refused before the call, such as malformed JSON, still has its route
			if _, isStatus := status.FromError(err); !isStatus && call != nil && call.reached.Load() {
				// The call answered, but its answer could not be encoded:
				// the fault is the server's.
				call.renderErr.Store(&err)
				writeError(w, r, http.StatusInternalServerError, codes.Internal, "INTERNAL", "internal error")
				return
			}
			cookie.apply(ctx, w)
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
	for _, err := range []error{
		hmbv1.RegisterHealthServiceHandlerClient(ctx, mux, hmbv1.NewHealthServiceClient(conn)),
		hmbv1.RegisterAuthServiceHandlerClient(ctx, mux, hmbv1.NewAuthServiceClient(conn)),
		hmbv1.RegisterUserServiceHandlerClient(ctx, mux, hmbv1.NewUserServiceClient(conn)),
		hmbv1.RegisterJobServiceHandlerClient(ctx, mux, hmbv1.NewJobServiceClient(conn)),
	} {
		if err != nil {
			return nil, err
		}
	}
	return mux, nil
}

// refreshCookie is how the refresh cookie is written. It is HttpOnly, so
// scripts cannot read it, Secure, and scoped to the auth routes that use it;
// SameSite, Domain and Partitioned are settings, since a frontend on another
// site needs SameSite=None.
type refreshCookie struct {
	sameSite    http.SameSite
	domain      string // empty: host-only
	partitioned bool
	maxAge      time.Duration
}

func newRefreshCookie(cfg config.Config) refreshCookie {
	sameSite := map[string]http.SameSite{"strict": http.SameSiteStrictMode, "none": http.SameSiteNoneMode}[cfg.RefreshCookieSameSite]
	if sameSite == 0 {
		sameSite = http.SameSiteLaxMode
	}
	return refreshCookie{sameSite: sameSite, domain: cfg.RefreshCookieDomain, partitioned: cfg.RefreshCookiePartitioned, maxAge: cfg.RefreshAbsoluteTTL}
}

// apply turns the refresh-cookie instructions an RPC left in its response
// metadata into a Set-Cookie header.
func (c refreshCookie) apply(ctx context.Context, w http.ResponseWriter) {
	md, ok := gwruntime.ServerMetadataFromContext(ctx)
	if !ok {
		return
	}
	cookie := http.Cookie{Name: refreshCookieName, Path: refreshCookiePath, Domain: c.domain, HttpOnly: true, Secure: true,
		SameSite: c.sameSite, Partitioned: c.partitioned}
	// A browser drops a cookie whose Domain does not cover the host it
	// called; the API reached under another name (the platform's own
	// hostname, say) still keeps sessions with a host-only one.
	if call, ok := ctx.Value(gatewayCallKey{}).(*gatewayCall); ok && c.domain != "" && !domainCovers(c.domain, call.host) {
		cookie.Domain = ""
	}
	switch {
	case len(md.HeaderMD.Get(setRefreshKey)) > 0:
		cookie.Value = md.HeaderMD.Get(setRefreshKey)[0]
		cookie.MaxAge = int(c.maxAge.Seconds())
	case len(md.HeaderMD.Get(clearRefreshKey)) > 0:
		// Only a cookie with the same name, Domain, Path and partition is
		// cleared, hence the same attributes.
		cookie.MaxAge = -1
	default:
		return
	}
	http.SetCookie(w, &cookie)
}

// domainCovers reports whether a cookie for domain is one a browser on
// hostport (a request's Host) keeps: hostport is the domain or under it.
func domainCovers(domain, hostport string) bool {
	host := strings.ToLower(hostport)
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = strings.ToLower(h)
	}
	return host == domain || strings.HasSuffix(host, "."+domain)
}

// printableASCII reports whether s can be a gRPC metadata value.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// clip bounds client-supplied text echoed in error messages.
func clip(s string) string {
	const limit = 200
	if len(s) > limit {
		return s[:limit] + "…"
	}
	return s
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
