package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/rs/cors"
	"google.golang.org/grpc/codes"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// What browsers and CDNs see of every REST response: security headers,
// CORS, caching and compression.

// setSecurityHeaders sets the headers every response carries. Handlers that
// serve a page (the API reference) replace the Content-Security-Policy.
func setSecurityHeaders(h http.Header) {
	h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains; preload")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self), payment=()")
	// The old auditor's "1; mode=block" could be abused to blank pages;
	// browsers dropped it, and 0 turns it off where it lingers.
	h.Set("X-XSS-Protection", "0")
}

// origins are the browser origins the API works for: CORS answers them, and
// guardWrites lets their state-changing requests through. An empty set
// allows no origin at all (rs/cors would read an empty list as every one).
type origins struct {
	exact map[string]bool
	// A pattern's text before and after its one *; hasPattern says whether
	// there is one.
	prefix, suffix string
	hasPattern     bool
}

// newOrigins builds the set from exact origins and an optional pattern with
// one *. Origins compare without regard to case, as rs/cors did.
func newOrigins(exact []string, pattern string) *origins {
	o := &origins{exact: make(map[string]bool, len(exact))}
	for _, e := range exact {
		o.exact[strings.ToLower(e)] = true
	}
	if before, after, ok := strings.Cut(strings.ToLower(pattern), "*"); ok {
		o.prefix, o.suffix, o.hasPattern = before, after, true
	}
	return o
}

// allows reports whether a browser on origin may call the API.
func (o *origins) allows(origin string) bool {
	origin = strings.ToLower(origin)
	if o.exact[origin] {
		return true
	}
	// The * stands for at least one character of one label: spanning dots,
	// https://hiremebahamas-*.vercel.app would also match sites under
	// someone else's name (hiremebahamas-x.theirs.vercel.app).
	return o.hasPattern && len(origin) > len(o.prefix)+len(o.suffix) &&
		strings.HasPrefix(origin, o.prefix) && strings.HasSuffix(origin, o.suffix) &&
		isLabelPart(origin[len(o.prefix):len(origin)-len(o.suffix)])
}

// isLabelPart reports whether s could be part of one DNS label of a host
// browsers send: letters, digits and hyphens (international names come in
// their xn-- form).
func isLabelPart(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// newCORS allows credentialed calls from the allowed origins only. A
// preflight is answered here, before authentication and rate limits.
func newCORS(allowed *origins) *cors.Cors {
	return cors.New(cors.Options{
		// A function, never a list: an empty list would mean every origin.
		AllowOriginFunc:  allowed.allows,
		AllowCredentials: true,
		AllowedMethods:   []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "X-Request-Id", "If-None-Match", "Traceparent", "Tracestate"},
		ExposedHeaders:   []string{"X-Request-Id", "Retry-After", "ETag", "WWW-Authenticate"},
		MaxAge:           600,
	})
}

// guardWrites refuses the state-changing requests a page on another site
// could make for a user. Browsers send such requests without asking first
// (no preflight) as long as they look like an HTML form's, and attach the
// user's cookies; so, before the gateway reads anything:
//   - a request from an origin that is neither allowed nor the API's own
//     (Origin: null included), or marked cross-site or same-site by
//     Sec-Fetch-Site without an allowed Origin, is 403 ORIGIN_NOT_ALLOWED;
//   - a body or Content-Type other than application/json is 415
//     UNSUPPORTED_MEDIA_TYPE: text/plain, form and multipart bodies are what
//     a cross-site form can send, and JSON is not.
//
// Requests with neither Origin nor Sec-Fetch-Site (curl, servers, mobile
// apps) are not a browser's cross-site requests and pass the first check.
func guardWrites(allowed *origins, next http.Handler) http.Handler {
	// The standard library's check knows the Sec-Fetch-Site and Origin-Host
	// rules; the allowed origins are let through before it, so that the
	// pattern and the case rules are those CORS uses.
	var crossOrigin http.CrossOriginProtection
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		origin := r.Header.Get("Origin")
		if !allowed.allows(origin) && crossOrigin.Check(r) != nil {
			message := "requests from another site may not change anything here"
			if origin != "" {
				message = "requests from origin " + strconv.Quote(clip(origin)) + " may not change anything here"
			}
			writeError(w, r, http.StatusForbidden, codes.PermissionDenied, "ORIGIN_NOT_ALLOWED", message)
			return
		}
		if problem := notJSON(r); problem != "" {
			w.Header().Set("Accept", jsonType)
			writeError(w, r, http.StatusUnsupportedMediaType, codes.InvalidArgument, "UNSUPPORTED_MEDIA_TYPE",
				problem+"; send the body as "+jsonType)
			return
		}
		next.ServeHTTP(w, r)
	})
}

const jsonType = "application/json"

// safeMethod reports whether method only reads: the methods
// http.CrossOriginProtection lets through too.
func safeMethod(method string) bool {
	return method == http.MethodGet || method == http.MethodHead || method == http.MethodOptions
}

// notJSON says what is wrong with the declared type of a state-changing
// request, or returns "" when it has no body and no type or is JSON.
// Parameters such as charset do not matter: the body is read as UTF-8 JSON.
func notJSON(r *http.Request) string {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		if r.ContentLength == 0 {
			return ""
		}
		return "the request has a body but no Content-Type"
	}
	mediaType, _, err := mime.ParseMediaType(ct)
	if (err == nil || errors.Is(err, mime.ErrInvalidMediaParameter)) && mediaType == jsonType {
		return ""
	}
	return "Content-Type " + strconv.Quote(clip(ct)) + " is not supported"
}

// publicReads are the RPCs whose answer to a caller without credentials is
// the same for everyone, so that browsers and CDNs may keep it.
var publicReads = map[string]bool{
	hmbv1.JobService_GetJob_FullMethodName:        true,
	hmbv1.JobService_ListJobs_FullMethodName:      true,
	hmbv1.JobService_GetJobStats_FullMethodName:   true,
	hmbv1.JobService_GetJobPosting_FullMethodName: true,
	hmbv1.UserService_GetUser_FullMethodName:      true,
}

const (
	publicCacheControl  = "public, max-age=30, stale-while-revalidate=60"
	privateCacheControl = "private, no-store"
	// compressMin is the smallest body worth compressing: below it, the
	// encoding's framing eats the gain.
	compressMin = 1024
)

// withCaching buffers each response to decide, from the whole of it, how it
// may be cached and how it is encoded:
//   - a successful public read without credentials is public for 30 s with
//     a strong ETag, and If-None-Match answers 304 with no body; it varies
//     on the credentials, so that no browser or CDN hands the copy kept
//     for anonymous visitors to someone who signed in, whose answer may be
//     newer;
//   - anything else is private and never stored, unless the handler chose
//     its own Cache-Control;
//   - bodies of compressMin bytes or more are sent with brotli or gzip when
//     the client accepts them; the ETag then names the encoding too.
//
// The forms of a shared answer (see boardCache) are made once.
func withCaching(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := bufferPool.Get().(*bytes.Buffer)
		buf.Reset()
		defer bufferPool.Put(buf)
		rec := &bufferedResponse{header: w.Header(), body: buf}
		next.ServeHTTP(rec, r)

		h := w.Header()
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		body := buf.Bytes()
		public := status == http.StatusOK && r.Method == http.MethodGet && !hasCredentials(r) &&
			publicReads[gatewayMethod(r.Context())]
		switch {
		case public:
			h.Set("Cache-Control", publicCacheControl)
			h.Add("Vary", "Authorization, Cookie")
		case h.Get("Cache-Control") == "":
			h.Set("Cache-Control", privateCacheControl)
		}

		compressible := len(body) >= compressMin && status != http.StatusNoContent && status != http.StatusNotModified
		if compressible {
			h.Add("Vary", "Accept-Encoding")
		}
		coding := ""
		if compressible && h.Get("Content-Encoding") == "" {
			coding = negotiateEncoding(r.Header.Get("Accept-Encoding"))
		}
		var tag string
		var coded []byte
		remembered := false
		if a := sharedReply(r.Context()); a != nil && status == http.StatusOK {
			tag, coded, remembered = a.forms.forBody(body, coding)
		}
		if public {
			if !remembered {
				tag = entityTag(body)
			}
			h.Set("ETag", `"`+tag+suffixFor(coding)+`"`)
			if matchesETag(r.Header.Get("If-None-Match"), tag) {
				h.Del("Content-Type")
				h.Del("Content-Length")
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		if coding != "" {
			if !remembered {
				encoded := bufferPool.Get().(*bytes.Buffer)
				encoded.Reset()
				defer bufferPool.Put(encoded)
				if err := compress(encoded, coding, body); err == nil {
					coded = encoded.Bytes()
				}
			}
			if coded != nil {
				body = coded
				h.Set("Content-Encoding", coding)
			}
		}
		if status != http.StatusNoContent && status != http.StatusNotModified {
			h.Set("Content-Length", strconv.Itoa(len(body)))
		}
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
}

var bufferPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// bufferedResponse keeps a handler's status and body; headers go straight
// to the real response.
type bufferedResponse struct {
	header http.Header
	status int
	body   *bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(code int) {
	if b.status == 0 {
		b.status = code
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.body.Write(p)
}

// hasCredentials reports whether the request could be answered for someone
// in particular.
func hasCredentials(r *http.Request) bool {
	return r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != ""
}

// entityTag is a strong validator of the body: a digest of its bytes.
func entityTag(body []byte) string {
	sum := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(sum[:18])
}

// suffixFor marks an ETag with the encoding it was sent in: a strong
// validator names the exact bytes, and those differ between encodings.
func suffixFor(coding string) string {
	if coding == "" {
		return ""
	}
	return "-" + coding
}

// matchesETag applies If-None-Match's weak comparison to tag, whichever
// encoding the client received it in.
func matchesETag(header, tag string) bool {
	for _, v := range strings.Split(header, ",") {
		v = strings.TrimSpace(v)
		if v == "*" {
			return true
		}
		v = strings.Trim(strings.TrimPrefix(v, "W/"), `"`)
		v = strings.TrimSuffix(strings.TrimSuffix(v, "-br"), "-gzip")
		if v == tag {
			return true
		}
	}
	return false
}

// negotiateEncoding picks brotli, then gzip, among the codings the client
// accepts with a non-zero quality; "" means identity.
func negotiateEncoding(accept string) string {
	quality := map[string]float64{}
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if k, v, ok := strings.Cut(strings.TrimSpace(params), "="); ok && strings.TrimSpace(k) == "q" {
			if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
				q = f
			}
		}
		quality[strings.ToLower(strings.TrimSpace(name))] = q
	}
	for _, coding := range []string{"br", "gzip"} {
		q, listed := quality[coding]
		if !listed {
			q, listed = quality["*"]
		}
		if listed && q > 0 {
			return coding
		}
	}
	return ""
}

// Encoders are reused: each holds buffers and tables worth keeping.
var (
	// The fastest levels: on pages of JSON they come within a few percent of
	// the default levels' size at a third to a half of the time.
	brotliWriters = sync.Pool{New: func() any { return brotli.NewWriterLevel(nil, 1) }}
	gzipWriters   = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed); return w }}
)

func compress(dst io.Writer, coding string, body []byte) error {
	var w interface {
		io.WriteCloser
		Reset(io.Writer)
	}
	switch coding {
	case "br":
		bw := brotliWriters.Get().(*brotli.Writer)
		defer brotliWriters.Put(bw)
		w = bw
	default:
		gw := gzipWriters.Get().(*gzip.Writer)
		defer gzipWriters.Put(gw)
		w = gw
	}
	w.Reset(dst)
	if _, err := w.Write(body); err != nil {
		return err
	}
	return w.Close()
}
