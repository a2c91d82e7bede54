package rpc

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/fullstorydev/grpchan/inprocgrpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// GatewayNetwork is the peer network of calls from the REST gateway, which
// come through an in-process channel.
const GatewayNetwork = "inproc"

// FromGateway reports whether the call came through the in-process REST
// gateway rather than from a gRPC client on the network.
func FromGateway(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	return ok && p.Addr != nil && p.Addr.Network() == GatewayNetwork
}

// Call is what a REST request carries across the in-process channel and
// back: the gateway makes one per request, and the gRPC side reads the
// client's address from it and leaves what the REST answer needs.
type Call struct {
	// Client is the caller's address, as the HTTP side resolved it. It is
	// written before the call begins.
	Client string
	// Outcome is what the call reported, for the request's one log line.
	Outcome atomic.Pointer[Outcome]
	// Shared is the shared, read-only answer the service gave, if it gave
	// one (see ShareReply).
	Shared atomic.Pointer[SharedAnswer]
}

type callKey struct{}

// WithCall returns ctx carrying call, for the gateway's side of a request.
func WithCall(ctx context.Context, call *Call) context.Context {
	return context.WithValue(ctx, callKey{}, call)
}

// callFrom returns the Call of a REST request on the gateway's side, or nil.
func callFrom(ctx context.Context) *Call {
	call, _ := ctx.Value(callKey{}).(*Call)
	return call
}

// OuterCall returns, on the gRPC side of a REST request, the request's Call,
// or nil. The in-process channel hides the gateway's context values from the
// services, but keeps the context itself.
func OuterCall(ctx context.Context) *Call {
	if client := inprocgrpc.ClientContext(ctx); client != nil {
		ctx = client
	}
	return callFrom(ctx)
}

// Outcome is what the gRPC side logs of a call: its level, the RPC and its
// status.
type Outcome struct {
	Level  slog.Level
	Method string
	Status *status.Status
}

// AppendAttrs adds the attributes naming the RPC, its code and why it
// failed.
func (o *Outcome) AppendAttrs(attrs []slog.Attr) []slog.Attr {
	attrs = append(attrs, slog.String("rpc", o.Method), slog.String("code", o.Status.Code().String()))
	if o.Status.Code() != codes.OK {
		attrs = append(attrs, slog.String("reason", ReasonOf(o.Status)), slog.String("error", o.Status.Message()))
	}
	return attrs
}

// SharedAnswer is an answer the services share among callers, and the memo
// of its encodings.
type SharedAnswer struct {
	Msg  proto.Message
	Memo *Memo
}

// ShareReply notes, for the gateway, that the answer to this request is m,
// which is shared and never changes: its encodings, kept in memo, can be
// reused.
func ShareReply(ctx context.Context, m proto.Message, memo *Memo) {
	if call := OuterCall(ctx); call != nil {
		call.Shared.Store(&SharedAnswer{Msg: m, Memo: memo})
	}
}

// Memo keeps encodings of one shared answer, each made when first needed
// and then kept for as long as the answer is. What the encodings are is the
// gateway's business; the zero value is ready to use.
type Memo struct {
	mu    sync.Mutex
	forms map[string][]byte
}

// Get returns the encoding named key, made with make the first time. A
// failure is not kept.
func (m *Memo) Get(key string, make func() ([]byte, error)) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.forms[key]; ok {
		return b, nil
	}
	b, err := make()
	if err != nil {
		return nil, err
	}
	if m.forms == nil {
		m.forms = map[string][]byte{}
	}
	m.forms[key] = b
	return b, nil
}

// Holds reports whether the encoding named key has been made and is b.
func (m *Memo) Holds(key string, b []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	kept, ok := m.forms[key]
	return ok && bytes.Equal(kept, b)
}
