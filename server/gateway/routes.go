package gateway

import (
	"context"
	"net/http"
	"regexp"
	"strings"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// Service is one gRPC service with REST bindings.
type Service struct {
	// Name is the service's full name, hiremebahamas.v1.JobService: its
	// google.api.http rules are read from its descriptor.
	Name string
	// Register adds its routes to the gateway's mux, calling it through
	// conn.
	Register Register
}

// Register adds a service's REST routes to mux.
type Register func(ctx context.Context, mux *gwruntime.ServeMux, conn grpc.ClientConnInterface) error

// Client makes a Register of a generated Register…HandlerClient and the
// New…Client it takes.
func Client[C any](register func(context.Context, *gwruntime.ServeMux, C) error, newClient func(grpc.ClientConnInterface) C) Register {
	return func(ctx context.Context, mux *gwruntime.ServeMux, conn grpc.ClientConnInterface) error {
		return register(ctx, mux, newClient(conn))
	}
}

// routes knows, from the protos' google.api.http rules, which RPC each REST
// method and path reach, before the gateway routes them: so that 405
// responses can carry Allow, and so that the rate limit and probe rules of
// the methods table apply to a request before it reaches the gateway.
type routes struct {
	mux *http.ServeMux
	rpc map[string]string // ServeMux pattern → full method name
}

var pathVariable = regexp.MustCompile(`\{([a-zA-Z_][a-zA-Z0-9_.]*)(=[^}]*)?\}`)

// restMethods are the methods REST routes may have, in the order Allow
// lists them.
var restMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

func newRoutes(services []Service) (*routes, error) {
	t := &routes{mux: http.NewServeMux(), rpc: map[string]string{}}
	add := func(fullMethod string, rule *annotations.HttpRule) {
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
		if _, seen := t.rpc[pattern]; !seen {
			t.rpc[pattern] = fullMethod
			t.mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
		}
	}
	for _, svc := range services {
		d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc.Name))
		if err != nil {
			return nil, err
		}
		methods := d.(protoreflect.ServiceDescriptor).Methods()
		for i := range methods.Len() {
			m := methods.Get(i)
			rule, ok := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
			if !ok || rule == nil {
				continue
			}
			fullMethod := "/" + svc.Name + "/" + string(m.Name())
			add(fullMethod, rule)
			for _, extra := range rule.GetAdditionalBindings() {
				add(fullMethod, extra)
			}
		}
	}
	return t, nil
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

// pattern returns the pattern that method on r's path matches, or "".
func (t *routes) pattern(r *http.Request, method string) string {
	probe := &http.Request{Method: method, URL: r.URL, Host: r.Host, Header: http.Header{}}
	_, pattern := t.mux.Handler(probe)
	return pattern
}

// allowed lists the methods accepted on r's path.
func (t *routes) allowed(r *http.Request) string {
	var allowed []string
	for _, m := range restMethods {
		if t.pattern(r, m) != "" {
			allowed = append(allowed, m)
		}
	}
	return strings.Join(allowed, ", ")
}

// rpcFor returns the RPC r reaches, or, when its method is not one the path
// takes, an RPC the path reaches with another (every method of a path
// belongs to one service, and so draws from one bucket); "" when no route
// has r's path.
func (t *routes) rpcFor(r *http.Request) string {
	if _, p := t.mux.Handler(r); p != "" {
		return t.rpc[p]
	}
	for _, m := range restMethods {
		if p := t.pattern(r, m); p != "" {
			return t.rpc[p]
		}
	}
	return ""
}
