package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// docsCSP is the policy the reference page must carry.
const docsCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// restServices are the services whose REST bindings the document describes.
var restServices = []protoreflect.ServiceDescriptor{
	hmbv1.File_hiremebahamas_v1_health_proto.Services().ByName("HealthService"),
	hmbv1.File_hiremebahamas_v1_auth_proto.Services().ByName("AuthService"),
	hmbv1.File_hiremebahamas_v1_users_proto.Services().ByName("UserService"),
	hmbv1.File_hiremebahamas_v1_jobs_proto.Services().ByName("JobService"),
	hmbv1.File_hiremebahamas_v1_searches_proto.Services().ByName("SavedSearchService"),
}

var pathVariable = regexp.MustCompile(`\{[^}]*\}`)

// routeShape is a path with its variables unnamed: /jobs/{job.id} and
// /jobs/{id} are one route.
func routeShape(path string) string { return pathVariable.ReplaceAllString(path, "{}") }

func TestOpenAPIDocument(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))

	code, header, body := s.Do(t, http.MethodGet, "/openapi.json", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /openapi.json: status %d, body %.300s", code, body)
	}
	if ct := header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /openapi.json: Content-Type %q, want application/json", ct)
	}
	doc, err := openapi3.NewLoader().LoadFromData(body)
	if err != nil {
		t.Fatalf("/openapi.json does not load as OpenAPI: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("/openapi.json is not valid OpenAPI 3: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q, want 3.x", doc.OpenAPI)
	}

	// Every REST binding of every service is there, once, under its service's
	// tag, with the RPC's comment.
	byShape := map[string]string{}
	for _, path := range doc.Paths.InMatchingOrder() {
		byShape[routeShape(path)] = path
	}
	bindings := 0
	for _, svc := range restServices {
		if !slices.ContainsFunc(doc.Tags, func(tag *openapi3.Tag) bool { return tag.Name == string(svc.Name()) && tag.Description != "" }) {
			t.Errorf("no described tag %s", svc.Name())
		}
		methods := svc.Methods()
		for i := range methods.Len() {
			m := methods.Get(i)
			rule, _ := proto.GetExtension(m.Options(), annotations.E_Http).(*annotations.HttpRule)
			if rule == nil {
				continue
			}
			for _, r := range append([]*annotations.HttpRule{rule}, rule.GetAdditionalBindings()...) {
				bindings++
				verb, path := httpRule(r)
				item := doc.Paths.Value(byShape[routeShape(path)])
				var op *openapi3.Operation
				if item != nil {
					op = item.GetOperation(verb)
				}
				if op == nil {
					t.Errorf("%s: no operation for %s %s", m.FullName(), verb, path)
					continue
				}
				// Additional bindings get a number after the name.
				wantID := string(svc.Name()) + "_" + string(m.Name())
				if !strings.HasPrefix(op.OperationID, wantID) || !slices.Equal(op.Tags, []string{string(svc.Name())}) {
					t.Errorf("%s %s: operation %q tagged %v, want %q… tagged %s", verb, path, op.OperationID, op.Tags, wantID, svc.Name())
				}
				if !strings.HasPrefix(op.Summary+op.Description, string(m.Name())) {
					t.Errorf("%s %s: summary %q does not carry the comment of %s", verb, path, op.Summary, m.Name())
				}
				if def := op.Responses.Default(); def == nil || def.Ref != "#/components/responses/Error" {
					t.Errorf("%s %s: the default response is not the API's error shape", verb, path)
				}
			}
		}
	}
	operations := 0
	for _, item := range doc.Paths.Map() {
		operations += len(item.Operations())
	}
	if operations != bindings {
		t.Errorf("%d operations, want one per REST binding: %d", operations, bindings)
	}

	// Message and field comments come through, including those of fields of
	// message and enum types.
	for name, schema := range doc.Components.Schemas {
		if schema.Value.Description == "" {
			t.Errorf("schema %s has no description", name)
		}
		for field, prop := range schema.Value.Properties {
			if prop.Ref == "" && prop.Value.Description == "" {
				t.Errorf("%s.%s has no description", name, field)
			}
		}
	}
	jobStatus := doc.Components.Schemas["Job"].Value.Properties["status"]
	if jobStatus.Value.Description == "" || len(jobStatus.Value.AllOf) != 1 || jobStatus.Value.AllOf[0].Ref != "#/components/schemas/JobStatus" {
		t.Errorf("Job.status = %+v, want a description beside a reference to JobStatus", jobStatus.Value)
	}
	// Fields are named as the REST API writes them.
	if _, ok := doc.Components.Schemas["Job"].Value.Properties["employment_type"]; !ok {
		t.Errorf("Job has no property employment_type: field names are not the protos' names")
	}

	code, _, body = s.Do(t, http.MethodHead, "/openapi.json", nil)
	if code != http.StatusOK || len(body) != 0 {
		t.Errorf("HEAD /openapi.json: status %d, %d body bytes; want 200 and none", code, len(body))
	}
}

func httpRule(r *annotations.HttpRule) (verb, path string) {
	switch p := r.GetPattern().(type) {
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

func TestDocsPage(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))

	code, header, page := s.Do(t, http.MethodGet, "/docs", nil)
	if code != http.StatusOK {
		t.Fatalf("GET /docs: status %d, body %.300s", code, page)
	}
	for name, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": docsCSP,
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := header.Get(name); got != want {
			t.Errorf("GET /docs: %s %q, want %q", name, got, want)
		}
	}
	if !bytes.Contains(page, []byte(`<div id="swagger-ui">`)) {
		t.Errorf("GET /docs: not the reference page: %.300s", page)
	}
	// The request went through the REST middleware: it has an id and a log line.
	id := header.Get("X-Request-Id")
	if id == "" {
		t.Error("GET /docs: no X-Request-Id")
	}
	servertest.Eventually(t, 5*time.Second, "the log line of GET /docs", func() bool {
		return slices.ContainsFunc(s.Logs.Lines("request"), func(rec map[string]any) bool {
			return rec["path"] == "/docs" && rec["request_id"] == id && rec["status"] == 200.0
		})
	})

	// Every file the page loads, with its type. Nothing comes from elsewhere.
	wantTypes := map[string]string{
		".js":  "text/javascript; charset=utf-8",
		".css": "text/css; charset=utf-8",
		".png": "image/png",
	}
	refs := regexp.MustCompile(`(?:src|href)="([^"]+)"`).FindAllSubmatch(page, -1)
	if len(refs) < 4 {
		t.Fatalf("the page loads %d files; want the stylesheet, the icon and two scripts", len(refs))
	}
	for _, ref := range refs {
		path := string(ref[1])
		if !strings.HasPrefix(path, "/docs/") {
			t.Errorf("the page loads %s, outside /docs/", path)
			continue
		}
		code, header, body := s.Do(t, http.MethodGet, path, nil)
		want := wantTypes[path[strings.LastIndex(path, "."):]]
		if code != http.StatusOK || header.Get("Content-Type") != want || len(body) == 0 {
			t.Errorf("GET %s: status %d, Content-Type %q, %d bytes; want 200, %q and a body", path, code, header.Get("Content-Type"), len(body), want)
		}
		if header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no X-Content-Type-Options: nosniff", path)
		}
	}

	code, header, body := s.Do(t, http.MethodHead, "/docs", nil)
	if code != http.StatusOK || len(body) != 0 || header.Get("Content-Security-Policy") != docsCSP {
		t.Errorf("HEAD /docs: status %d, %d body bytes, CSP %q; want 200, none and the page's CSP", code, len(body), header.Get("Content-Security-Policy"))
	}

	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
		for _, path := range []string{"/docs", "/openapi.json", "/docs/init.js"} {
			code, header, body := s.Do(t, method, path, nil)
			if code != http.StatusMethodNotAllowed || header.Get("Allow") != "GET, HEAD" || servertest.DecodeError(t, body).Error.Reason != "METHOD_NOT_ALLOWED" {
				t.Errorf("%s %s: status %d, Allow %q, body %s; want 405, GET, HEAD and METHOD_NOT_ALLOWED", method, path, code, header.Get("Allow"), body)
			}
		}
	}
	code, _, body = s.Do(t, http.MethodGet, "/docs/missing.js", nil)
	if code != http.StatusNotFound || servertest.DecodeError(t, body).Error.Reason != "ROUTE_NOT_FOUND" {
		t.Errorf("GET /docs/missing.js: status %d, body %s; want 404 ROUTE_NOT_FOUND", code, body)
	}

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(s.Base + "/docs/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/docs" {
		t.Errorf("GET /docs/: status %d, Location %q; want 301 to /docs", resp.StatusCode, resp.Header.Get("Location"))
	}
}

func TestDocsCompressionAndCaching(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	const path = "/docs/swagger-ui-bundle.js"

	code, plainHeader, plain := s.Do(t, http.MethodGet, path, nil, "Accept-Encoding", "identity")
	if code != http.StatusOK || plainHeader.Get("Content-Encoding") != "" {
		t.Fatalf("GET %s without gzip: status %d, Content-Encoding %q", path, code, plainHeader.Get("Content-Encoding"))
	}
	code, header, zipped := s.Do(t, http.MethodGet, path, nil, "Accept-Encoding", "br, gzip")
	vary := strings.Join(header.Values("Vary"), ", ")
	if code != http.StatusOK || header.Get("Content-Encoding") != "gzip" || !strings.Contains(vary, "Accept-Encoding") {
		t.Fatalf("GET %s with gzip: status %d, Content-Encoding %q, Vary %q", path, code, header.Get("Content-Encoding"), vary)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(unzipped, plain) || len(zipped) >= len(plain)/2 {
		t.Errorf("gzip body: %d bytes unzipping to %d, want a much smaller encoding of the %d plain bytes", len(zipped), len(unzipped), len(plain))
	}
	if header.Get("ETag") == plainHeader.Get("ETag") || plainHeader.Get("ETag") == "" {
		t.Errorf("ETags %q and %q: want a distinct one per encoding", plainHeader.Get("ETag"), header.Get("ETag"))
	}
	if code, h, _ := s.Do(t, http.MethodGet, path, nil, "Accept-Encoding", "gzip;q=0"); code != http.StatusOK || h.Get("Content-Encoding") != "" {
		t.Errorf("gzip;q=0: status %d, Content-Encoding %q; want 200 and none", code, h.Get("Content-Encoding"))
	}

	code, _, body := s.Do(t, http.MethodGet, path, nil, "Accept-Encoding", "gzip", "If-None-Match", header.Get("ETag"))
	if code != http.StatusNotModified || len(body) != 0 {
		t.Errorf("GET %s with its ETag: status %d, %d bytes; want 304 and none", path, code, len(body))
	}
}
