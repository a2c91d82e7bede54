package gateway

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"

	"github.com/hiremebahamas/api/server/rpc"
)

// How REST responses may be cached and how they are encoded.

const (
	publicCacheControl  = "public, max-age=30, stale-while-revalidate=60"
	privateCacheControl = "private, no-store"
	// compressMin is the smallest body worth compressing: below it, the
	// encoding's framing eats the gain.
	compressMin = 1024
)

// withCaching buffers each response to decide, from the whole of it, how it
// may be cached and how it is encoded:
//   - a successful public read (by the methods table) without credentials is public for 30 s with
//     a strong ETag, and If-None-Match answers 304 with no body; it varies
//     on the credentials, so that no browser or CDN hands the copy kept
//     for anonymous visitors to someone who signed in, whose answer may be
//     newer;
//   - anything else is private and never stored, unless the handler chose
//     its own Cache-Control;
//   - bodies of compressMin bytes or more are sent with brotli or gzip when
//     the client accepts them; the ETag then names the encoding too.
//
// The forms of a shared answer (see rpc.ShareReply) are made once.
func withCaching(next http.Handler, methods rpc.Methods) http.Handler {
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
		row, _ := methods.Lookup(calledMethod(r.Context()))
		public := status == http.StatusOK && r.Method == http.MethodGet && !hasCredentials(r) && row.PublicRead
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
			coding = negotiateEncoding(r.Header.Get("Accept-Encoding"), "br", "gzip")
		}
		var tag string
		var coded []byte
		remembered := false
		if a := sharedReply(r.Context()); a != nil && status == http.StatusOK {
			tag, coded, remembered = formsOf(a.Memo, body, coding)
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

// negotiateEncoding picks the first of the offered codings that the client
// accepts (Accept-Encoding) with a non-zero quality, itself or through *;
// "" means identity.
func negotiateEncoding(accept string, offered ...string) string {
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
	for _, coding := range offered {
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
