package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/hiremebahamas/api/server/rpc"
)

// newMux returns the grpc-gateway handler of services. It calls them through
// conn, which runs the interceptors gRPC calls run.
func newMux(ctx context.Context, conn grpc.ClientConnInterface, services []Service, routes *routes, cookie refreshCookie) (http.Handler, error) {
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
				return rpc.RequestIDKey, true
			}
			return "", false
		}),
		// Response metadata is not echoed as Grpc-Metadata-* headers: the
		// middleware sets the headers REST clients need.
		gwruntime.WithOutgoingHeaderMatcher(func(string) (string, bool) { return "", false }),
		gwruntime.WithOutgoingTrailerMatcher(func(string) (string, bool) { return "", false }),
		gwruntime.WithMetadata(func(_ context.Context, r *http.Request) metadata.MD {
			md := refreshTokenMetadata(r)
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
				w.Header().Set("Allow", routes.allowed(r))
				writeError(w, r, http.StatusMethodNotAllowed, codes.Unimplemented, "METHOD_NOT_ALLOWED",
					r.Method+" is not allowed on "+rpc.Clip(r.URL.Path))
			case http.StatusNotFound:
				writeError(w, r, http.StatusNotFound, codes.NotFound, "ROUTE_NOT_FOUND", "no route for "+r.Method+" "+rpc.Clip(r.URL.Path))
			default:
				writeError(w, r, http.StatusBadRequest, codes.InvalidArgument, "BAD_REQUEST", "the request is malformed")
			}
		}),
	)
	for _, svc := range services {
		if err := svc.Register(ctx, mux, conn); err != nil {
			return nil, fmt.Errorf("REST routes of %s: %w", svc.Name, err)
		}
	}
	return mux, nil
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
