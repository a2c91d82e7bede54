package rpc

import (
	"context"
	"crypto/rand"
)

// RequestIDKey is the metadata key of the request id; the gateway forwards
// X-Request-ID as it.
const RequestIDKey = "x-request-id"

type requestIDKey struct{}

// WithRequestID returns ctx carrying the request's id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id the chain assigned, or "".
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// SanitizeRequestID accepts a caller's id if it is short and plain, so it can
// go into logs and headers verbatim; otherwise it returns "".
func SanitizeRequestID(id string) string {
	if len(id) == 0 || len(id) > 128 {
		return ""
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return ""
		}
	}
	return id
}

// NewRequestID returns a random id.
func NewRequestID() string { return rand.Text() }
