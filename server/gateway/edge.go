package gateway

import (
	"errors"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/rs/cors"
	"google.golang.org/grpc/codes"

	"github.com/hiremebahamas/api/server/rpc"
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
//
// A POST to a OneClick method (the unsubscribe link in mail) passes both,
// with its body dropped unread: mail clients send a form body from their
// servers or from a webmail page of any origin (RFC 8058), and what they
// send in it means nothing here.
func guardWrites(allowed *origins, methods rpc.Methods, routes *routes, next http.Handler) http.Handler {
	// The standard library's check knows the Sec-Fetch-Site and Origin-Host
	// rules; the allowed origins are let through before it, so that the
	// pattern and the case rules are those CORS uses.
	var crossOrigin http.CrossOriginProtection
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if safeMethod(r.Method) {
			next.ServeHTTP(w, r)
			return
		}
		if row, _ := methods.Lookup(routes.rpcFor(r)); row.OneClick && r.Method == http.MethodPost {
			r.Body, r.ContentLength = http.NoBody, 0
			r.Header.Del("Content-Type")
			next.ServeHTTP(w, r)
			return
		}
		origin := r.Header.Get("Origin")
		if !allowed.allows(origin) && crossOrigin.Check(r) != nil {
			message := "requests from another site may not change anything here"
			if origin != "" {
				message = "requests from origin " + strconv.Quote(rpc.Clip(origin)) + " may not change anything here"
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
	return "Content-Type " + strconv.Quote(rpc.Clip(ct)) + " is not supported"
}
