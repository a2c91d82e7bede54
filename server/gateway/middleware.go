package gateway

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync/atomic"
	"time"

	gwruntime "github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/hiremebahamas/api/server/rpc"
)

// httpOptions are the limits the REST middleware enforces.
type httpOptions struct {
	requestTimeout time.Duration
	maxBodyBytes   int
	// observe, when set, is told of every request once it is answered: its
	// method as received, the route template the gateway matched ("" when
	// none did), the status sent and the time taken.
	observe func(ctx context.Context, method, route string, status int, elapsed time.Duration)
}

// withMiddleware wraps the gateway in the REST-only concerns, outermost
// first: panic safety, request id, a log line for requests that never reach
// the gRPC side, the request deadline, the body limit and HEAD.
func withMiddleware(next http.Handler, opts httpOptions, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start, method := time.Now(), r.Method
		setSecurityHeaders(w.Header())
		id := rpc.SanitizeRequestID(r.Header.Get("X-Request-Id"))
		if id == "" {
			id = rpc.NewRequestID()
		}
		r.Header.Set("X-Request-Id", id)
		w.Header().Set("X-Request-Id", id)

		rec := &statusRecorder{ResponseWriter: w}
		call := &request{host: r.Host}
		ctx, cancel := context.WithTimeout(rpc.WithCall(context.WithValue(r.Context(), requestKey{}, call), &call.Call), opts.requestTimeout)
		defer cancel()
		r = r.WithContext(ctx)

		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				log.Error("panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if !rec.wrote {
					writeError(rec, r, http.StatusInternalServerError, codes.Internal, "INTERNAL", "internal error")
				}
			}
			elapsed := time.Since(start)
			status := rec.status
			if !rec.wrote {
				status = http.StatusOK // what net/http sends for a handler that wrote nothing
			}
			logRequest(r.Context(), log, method, r.URL.Path, status, elapsed, id, call)
			if opts.observe != nil {
				opts.observe(r.Context(), method, call.route, status, elapsed)
			}
		}()

		if !limitBody(rec, r, opts.maxBodyBytes) {
			return
		}
		if r.Method == http.MethodHead {
			r.Method = http.MethodGet
			next.ServeHTTP(&headWriter{statusRecorder: rec}, r)
			return
		}
		next.ServeHTTP(rec, r)
	})
}

func levelForStatus(code int) slog.Level {
	switch {
	case code >= 500:
		return slog.LevelWarn
	default:
		return slog.LevelInfo
	}
}

// logRequest writes the one log line of a REST request, with the status
// that was sent: a call that succeeded on the gRPC side may still have
// failed here (its answer could not be encoded), and the line must say so.
// What the call itself reported (its RPC, code and reason) comes along.
func logRequest(ctx context.Context, log *slog.Logger, method, path string, status int, elapsed time.Duration, id string, call *request) {
	level := levelForStatus(status)
	outcome := call.Outcome.Load()
	if outcome != nil {
		// The call's level, which keeps probes at debug, unless the answer
		// failed here.
		level = outcome.Level
		if status >= 500 {
			level = max(level, slog.LevelWarn)
		}
	}
	renderErr := call.renderErr.Load()
	if renderErr != nil {
		level = slog.LevelError
	}
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := make([]slog.Attr, 0, 12)
	attrs = append(attrs, slog.String("transport", "rest"), slog.String("http_method", method),
		slog.String("path", rpc.Clip(path)), slog.Int("status", status))
	if call.Client != "" {
		attrs = append(attrs, slog.String("client", call.Client))
	}
	if outcome != nil {
		attrs = outcome.AppendAttrs(attrs)
	}
	attrs = append(attrs, slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000), slog.String("request_id", id))
	if renderErr != nil {
		attrs = append(attrs, slog.String("error", "the answer could not be encoded: "+(*renderErr).Error()))
	}
	log.LogAttrs(ctx, level, "request", attrs...)
}

// limitBody reads the whole body up to the limit, answering 413 beyond it.
// The gateway reports any read error as a plain 400, so the limit is enforced
// here, where it can still be told apart.
func limitBody(w http.ResponseWriter, r *http.Request, limit int) bool {
	if r.Body == nil || r.Body == http.NoBody {
		return true
	}
	tooLarge := func() bool {
		writeError(w, r, http.StatusRequestEntityTooLarge, codes.InvalidArgument, "BODY_TOO_LARGE",
			"the request body exceeds "+byteSize(limit))
		return false
	}
	if r.ContentLength > int64(limit) {
		return tooLarge()
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return tooLarge()
		}
		// READ_TIMEOUT passed: the server's read deadline cut the body off.
		var netErr net.Error
		if errors.As(err, &netErr) && netErr.Timeout() {
			writeError(w, r, http.StatusRequestTimeout, codes.DeadlineExceeded, "BODY_TIMEOUT", "the request body did not arrive in time")
			return false
		}
		writeError(w, r, http.StatusBadRequest, codes.InvalidArgument, "BODY_UNREADABLE", "the request body could not be read")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	// A chunked body's length is known now, and guardWrites asks for it.
	r.ContentLength = int64(len(body))
	return true
}

func byteSize(n int) string {
	switch {
	case n%(1<<20) == 0:
		return strconv.Itoa(n>>20) + " MiB"
	case n%(1<<10) == 0:
		return strconv.Itoa(n>>10) + " KiB"
	}
	return strconv.Itoa(n) + " bytes"
}

// request is what a REST request's context carries: its rpc.Call, which
// crosses the in-process channel, and what only the HTTP side needs.
type request struct {
	rpc.Call
	// reached marks that the gateway called the gRPC server.
	reached atomic.Bool
	// renderErr is why an answer the call gave could not be encoded.
	renderErr atomic.Pointer[error]
	// Written and read on the request's goroutine:
	route  string // the route template matched, such as /api/v1/jobs/{id}: a bounded label, unlike the path
	method string // the RPC the gateway called
	host   string // the Host the client called, which the refresh cookie's Domain must cover
}

type requestKey struct{}

// requestFrom returns the REST request ctx belongs to, or nil.
func requestFrom(ctx context.Context) *request {
	call, _ := ctx.Value(requestKey{}).(*request)
	return call
}

// calledMethod returns the RPC that served a REST request, or "".
func calledMethod(ctx context.Context) string {
	if call := requestFrom(ctx); call != nil {
		return call.method
	}
	return ""
}

// sharedReply returns the shared answer the service gave, if it gave one.
func sharedReply(ctx context.Context) *rpc.SharedAnswer {
	if call := requestFrom(ctx); call != nil {
		return call.Shared.Load()
	}
	return nil
}

// noteRoute records the route template the gateway matched, which its
// annotated ctx carries.
func noteRoute(ctx context.Context) *request {
	call := requestFrom(ctx)
	if call == nil {
		return nil
	}
	if route, ok := gwruntime.HTTPPathPattern(ctx); ok {
		call.route = route
	}
	return call
}

// gatewayConn is the gateway's connection to the services: the in-process
// channel, noting the call on the way.
type gatewayConn struct{ grpc.ClientConnInterface }

func (c gatewayConn) Invoke(ctx context.Context, method string, req, reply any, opts ...grpc.CallOption) error {
	if call := noteRoute(ctx); call != nil {
		call.reached.Store(true)
		call.method = method
	}
	return c.ClientConnInterface.Invoke(ctx, method, req, reply, opts...)
}

// statusRecorder notes the status written.
type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.WriteHeader(http.StatusOK)
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// headWriter answers HEAD with GET's headers and no body.
type headWriter struct{ *statusRecorder }

func (h *headWriter) Write(b []byte) (int, error) {
	if !h.wrote {
		h.WriteHeader(http.StatusOK)
	}
	return len(b), nil
}
