package gateway

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/hiremebahamas/api/apidocs"
	"github.com/hiremebahamas/api/server/rpc"
)

// The API reference: the OpenAPI document at /openapi.json and, at /docs, a
// Swagger UI page that renders it. Both come from package apidocs, embedded
// in the binary; nothing is fetched from elsewhere at run time.
const (
	openAPIPath = "/openapi.json"
	docsPath    = "/docs"
)

// docsCSP is the reference page's policy, looser than the API's
// default-src 'none' by what Swagger UI needs, as the browser test checks:
// its scripts and stylesheet from this origin, the SVG icons its stylesheet
// and components hold as data: URLs, and requests to this origin for the
// document and for "try it out". Its inline styles are set from script,
// which style-src does not restrict.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docFile is one response, prepared once.
type docFile struct {
	name        string
	contentType string
	body        []byte
	etag        string
	gzipped     []byte // nil for images, which are compressed already
	gzipETag    string
	reference   bool // part of the page at /docs: gets docsCSP
}

// docContentTypes are set explicitly rather than looked up, because the
// system MIME tables differ between machines.
var docContentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".json": "application/json",
	".png":  "image/png",
	"":      "text/plain; charset=utf-8", // LICENSE, NOTICE
}

// docFiles maps each request path to its file. Compressing the Swagger UI
// bundle (1.7 MB to about 0.5 MB) takes a moment, so it is done once per
// process.
var docFiles = sync.OnceValues(func() (map[string]*docFile, error) {
	files := map[string]*docFile{}
	add := func(urlPath, name string, body []byte) error {
		ct, ok := docContentTypes[path.Ext(name)]
		if !ok {
			return fmt.Errorf("API reference: no content type for %s", name)
		}
		f := &docFile{name: name, contentType: ct, body: body, etag: `"` + entityTag(body) + `"`, reference: urlPath != openAPIPath}
		if !strings.HasPrefix(ct, "image/") {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
			_, _ = zw.Write(body)
			_ = zw.Close()
			f.gzipped, f.gzipETag = buf.Bytes(), `"`+entityTag(body)+suffixFor("gzip")+`"`
		}
		files[urlPath] = f
		return nil
	}
	if err := add(openAPIPath, "openapi.json", apidocs.OpenAPI); err != nil {
		return nil, err
	}
	err := fs.WalkDir(apidocs.Reference, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(apidocs.Reference, name)
		if err != nil {
			return err
		}
		urlPath := docsPath + "/" + name
		if name == "index.html" {
			urlPath = docsPath
		}
		return add(urlPath, name, body)
	})
	return files, err
})

// isDocsPath reports whether the reference, not the gateway, answers p.
func isDocsPath(p string) bool {
	return p == openAPIPath || p == docsPath || strings.HasPrefix(p, docsPath+"/")
}

// withDocs answers the reference's paths and passes everything else to the
// gateway.
func withDocs(gateway http.Handler) (http.Handler, error) {
	files, err := docFiles()
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !isDocsPath(r.URL.Path) {
			gateway.ServeHTTP(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			writeError(w, r, http.StatusMethodNotAllowed, codes.Unimplemented, "METHOD_NOT_ALLOWED",
				r.Method+" is not allowed on "+rpc.Clip(r.URL.Path))
			return
		}
		if r.URL.Path == docsPath+"/" {
			http.Redirect(w, r, docsPath, http.StatusMovedPermanently)
			return
		}
		f, ok := files[r.URL.Path]
		if !ok {
			writeError(w, r, http.StatusNotFound, codes.NotFound, "ROUTE_NOT_FOUND", "no route for "+r.Method+" "+rpc.Clip(r.URL.Path))
			return
		}
		serveDocFile(w, r, f)
	}), nil
}

func serveDocFile(w http.ResponseWriter, r *http.Request, f *docFile) {
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("X-Content-Type-Options", "nosniff")
	// Revalidate every time: the ETag changes with each release's files.
	h.Set("Cache-Control", "no-cache")
	if f.reference {
		h.Set("Content-Security-Policy", docsCSP)
	}
	body, tag := f.body, f.etag
	if f.gzipped != nil {
		h.Add("Vary", "Accept-Encoding")
		if negotiateEncoding(r.Header.Get("Accept-Encoding"), "gzip") != "" {
			body, tag = f.gzipped, f.gzipETag
			h.Set("Content-Encoding", "gzip")
		}
	}
	h.Set("ETag", tag)
	http.ServeContent(w, r, f.name, time.Time{}, bytes.NewReader(body))
}
