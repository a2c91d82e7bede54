package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"google.golang.org/grpc"
	grpcgzip "google.golang.org/grpc/encoding/gzip"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestCaching(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	job := b.Post(t, &hmbv1.Job{Title: "Reservations Agent"})

	public := []string{"/api/v1/jobs/" + job.Id, "/api/v1/jobs", "/api/v1/jobs?q=reservations", "/api/v1/jobs/stats",
		"/api/v1/jobs/" + job.Id + "/posting", "/api/v1/users/" + b.Employer.User.Id}
	for _, path := range public {
		code, h, _ := b.Do(t, http.MethodGet, path, nil)
		etag := h.Get("ETag")
		if code != http.StatusOK || h.Get("Cache-Control") != "public, max-age=30, stale-while-revalidate=60" ||
			!strings.HasPrefix(etag, `"`) || len(etag) < 10 {
			t.Errorf("GET %s: %d, Cache-Control %q, ETag %q", path, code, h.Get("Cache-Control"), etag)
			continue
		}
		// A copy kept for visitors is not one for someone signed in, whose
		// answer may be newer (an owner's own write) or theirs alone.
		if vary := strings.Join(h.Values("Vary"), ", "); !strings.Contains(vary, "Authorization") || !strings.Contains(vary, "Cookie") {
			t.Errorf("GET %s: Vary %q; want Authorization and Cookie in it", path, vary)
		}
		code, h304, body304 := b.Do(t, http.MethodGet, path, nil, "If-None-Match", etag)
		if code != http.StatusNotModified || len(body304) != 0 || h304.Get("ETag") != etag || h304.Get("Cache-Control") != h.Get("Cache-Control") {
			t.Errorf("GET %s If-None-Match %s: %d %q %v", path, etag, code, body304, h304)
		}
		// Another tag, or a list holding it, is weighed too.
		if code, _, _ := b.Do(t, http.MethodGet, path, nil, "If-None-Match", `"other"`); code != http.StatusOK {
			t.Errorf("GET %s with a stale tag: %d", path, code)
		}
		if code, _, _ := b.Do(t, http.MethodGet, path, nil, "If-None-Match", `"other", W/`+etag); code != http.StatusNotModified {
			t.Errorf("GET %s with the tag in a list: %d", path, code)
		}
		// The same resource asked for with a token is personal.
		code, h, _ = b.Do(t, http.MethodGet, path, nil, "Authorization", "Bearer "+b.Seeker.AccessToken)
		if code != http.StatusOK || h.Get("Cache-Control") != "private, no-store" || h.Get("ETag") != "" {
			t.Errorf("GET %s with a token: %d, Cache-Control %q, ETag %q", path, code, h.Get("Cache-Control"), h.Get("ETag"))
		}
	}

	// A change makes a new tag; the old one no longer matches.
	_, h, _ := b.Do(t, http.MethodGet, "/api/v1/jobs/"+job.Id, nil)
	if code, _ := b.Call(t, http.MethodPatch, "/api/v1/jobs/"+job.Id, b.Employer.AccessToken, map[string]any{"title": "Senior Reservations Agent"}, nil); code != http.StatusOK {
		t.Fatalf("PATCH: %d", code)
	}
	code, h2, _ := b.Do(t, http.MethodGet, "/api/v1/jobs/"+job.Id, nil, "If-None-Match", h.Get("ETag"))
	if code != http.StatusOK || h2.Get("ETag") == h.Get("ETag") {
		t.Errorf("after a change: %d, ETag %q then %q", code, h.Get("ETag"), h2.Get("ETag"))
	}

	// Personal answers, errors and probes are never stored.
	seeker := "Bearer " + b.Seeker.AccessToken
	for _, tc := range []struct {
		method, path, auth string
		body               string
	}{
		{http.MethodGet, "/api/v1/users/me", seeker, ""},
		{http.MethodGet, "/api/v1/users/me/applications", seeker, ""},
		{http.MethodGet, "/api/v1/users/me/saved-jobs", seeker, ""},
		{http.MethodGet, "/api/v1/jobs/" + job.Id + "/applications", "Bearer " + b.Employer.AccessToken, ""},
		{http.MethodPost, "/api/v1/auth/login", "", `{"email":"` + b.Seeker.User.Email + `","password":"` + servertest.Password + `"}`},
		{http.MethodGet, "/api/v1/jobs/00000000-0000-0000-0000-000000000000", "", ""},
		{http.MethodGet, "/api/v1/users/me", "", ""},
		{http.MethodGet, "/health", "", ""},
		{http.MethodGet, "/ready/db", "", ""},
	} {
		header := []string{"Content-Type", "application/json"}
		if tc.auth != "" {
			header = append(header, "Authorization", tc.auth)
		}
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		code, h, _ := b.Do(t, tc.method, tc.path, body, header...)
		if cc := h.Get("Cache-Control"); !strings.Contains(cc, "no-store") || strings.Contains(cc, "public") || h.Get("ETag") != "" {
			t.Errorf("%s %s (%d): Cache-Control %q, ETag %q", tc.method, tc.path, code, cc, h.Get("ETag"))
		}
	}
}

func TestCompression(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	for i := range 6 {
		b.Post(t, &hmbv1.Job{Title: "Housekeeper " + string(rune('A'+i)), Description: strings.Repeat("Keep the villas spotless. ", 20)})
	}
	get := func(path, accept string) (http.Header, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, b.Base+path, nil)
		req.Header.Set("Accept-Encoding", accept) // set by hand, the client leaves the body as sent
		resp, err := b.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.Header, raw
	}
	plainHeader, plain := get("/api/v1/jobs", "identity")
	if plainHeader.Get("Content-Encoding") != "" || len(plain) < 1024 || !strings.Contains(strings.Join(plainHeader.Values("Vary"), ","), "Accept-Encoding") {
		t.Fatalf("identity: %v, %d bytes", plainHeader, len(plain))
	}
	tags := map[string]bool{plainHeader.Get("ETag"): true}
	for accept, want := range map[string]string{"br": "br", "gzip, deflate, br": "br", "gzip": "gzip", "br;q=0, gzip;q=0.5": "gzip", "*": "br", "deflate": ""} {
		h, raw := get("/api/v1/jobs", accept)
		if got := h.Get("Content-Encoding"); got != want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q; want %q", accept, got, want)
			continue
		}
		var decoded []byte
		switch want {
		case "br":
			decoded, _ = io.ReadAll(brotli.NewReader(bytes.NewReader(raw)))
		case "gzip":
			zr, err := gzip.NewReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			decoded, _ = io.ReadAll(zr)
		default:
			decoded = raw
		}
		if !bytes.Equal(decoded, plain) {
			t.Errorf("Accept-Encoding %q: decoded body differs from the plain one", accept)
		}
		if want != "" && len(raw) >= len(plain) {
			t.Errorf("Accept-Encoding %q: %d bytes, no smaller than %d", accept, len(raw), len(plain))
		}
		if want != "" {
			tags[h.Get("ETag")] = true
			// The tag received with the encoded body revalidates.
			req, _ := http.NewRequest(http.MethodGet, b.Base+"/api/v1/jobs", nil)
			req.Header.Set("Accept-Encoding", accept)
			req.Header.Set("If-None-Match", h.Get("ETag"))
			resp, err := b.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNotModified {
				t.Errorf("revalidating %s with %s: %d", accept, h.Get("ETag"), resp.StatusCode)
			}
		}
	}
	if len(tags) != 3 {
		t.Errorf("ETags %v; want one per encoding (identity, br, gzip)", tags)
	}
	// Small bodies are sent as they are.
	if h, _ := get("/health", "gzip, br"); h.Get("Content-Encoding") != "" {
		t.Errorf("/health compressed: %v", h)
	}

	// gRPC clients may compress too.
	resp, err := b.Jobs.ListJobs(context.Background(), &hmbv1.ListJobsRequest{}, grpc.UseCompressor(grpcgzip.Name))
	if err != nil || len(resp.Jobs) != 6 {
		t.Errorf("gzip ListJobs: %d jobs, %v", len(resp.GetJobs()), err)
	}
}
