package server_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// The two sites of the cross-site test: a frontend and the API on
// registrable domains of their own, as *.vercel.app and *.onrender.com are.
// Chromium resolves both to the loopback interface.
const (
	frontendHost = "app.hmb-frontend.test"
	apiHost      = "api.hmb-api.test"
)

// crossSitePage is the frontend: its script signs in to the API and then
// refreshes with an empty body, as a web app does on load, so that only the
// browser's cookie can carry the refresh token.
const crossSitePage = `<!doctype html>
<html><head><meta charset="utf-8"><title>frontend</title>
<script>
async function signInAndRefresh(api, email, password) {
  const login = await fetch(api + "/api/v1/auth/login", {
    method: "POST", credentials: "include",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify({email, password}),
  });
  const signedIn = await login.json();
  const refresh = await fetch(api + "/api/v1/auth/refresh", {method: "POST", credentials: "include"});
  const refreshed = await refresh.json();
  return {
    login: login.status, refresh: refresh.status,
    reason: refreshed.error ? refreshed.error.reason : "",
    newAccessToken: !!refreshed.access_token && refreshed.access_token !== signedIn.access_token,
  };
}
</script></head><body>frontend</body></html>`

// crossSiteOutcome is what signInAndRefresh returns.
type crossSiteOutcome struct {
	Login          int    `json:"login"`
	Refresh        int    `json:"refresh"`
	Reason         string `json:"reason"`
	NewAccessToken bool   `json:"newAccessToken"`
}

// TestRefreshCookieCrossSite signs in from a page on one site to the API on
// another, in headless Chromium over TLS, and refreshes by cookie alone. The
// default Lax cookie is never sent on such a call. SameSite=None is, while
// the browser allows third-party cookies (Google Chrome's default in its
// regular windows); once they are blocked (a user's choice, the default of
// incognito windows and of Chromium's own builds), only a Partitioned cookie
// still is.
func TestRefreshCookieCrossSite(t *testing.T) {
	t.Parallel()
	requireChromium(t, "the refresh cookie across sites")
	db := pgtest.NewDatabase(t)

	for _, tc := range []struct {
		name        string
		sameSite    string
		partitioned bool
		block3PC    bool // block third-party cookies, as the browser setting does
		want        crossSiteOutcome
	}{
		{name: "Lax", sameSite: "lax",
			want: crossSiteOutcome{Login: http.StatusOK, Refresh: http.StatusUnauthorized, Reason: "REFRESH_TOKEN_MISSING"}},
		{name: "None", sameSite: "none",
			want: crossSiteOutcome{Login: http.StatusOK, Refresh: http.StatusOK, NewAccessToken: true}},
		{name: "None and Partitioned", sameSite: "none", partitioned: true,
			want: crossSiteOutcome{Login: http.StatusOK, Refresh: http.StatusOK, NewAccessToken: true}},
		{name: "None, third-party cookies blocked", sameSite: "none", block3PC: true,
			want: crossSiteOutcome{Login: http.StatusOK, Refresh: http.StatusUnauthorized, Reason: "REFRESH_TOKEN_MISSING"}},
		{name: "None and Partitioned, third-party cookies blocked", sameSite: "none", partitioned: true, block3PC: true,
			want: crossSiteOutcome{Login: http.StatusOK, Refresh: http.StatusOK, NewAccessToken: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			frontend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				fmt.Fprint(w, crossSitePage)
			}))
			frontend.StartTLS()
			t.Cleanup(frontend.Close)
			frontendOrigin := "https://" + net.JoinHostPort(frontendHost, port(t, frontend.URL))

			cfg := servertest.Config(db)
			cfg.FrontendURL = frontendOrigin
			cfg.RefreshCookieSameSite, cfg.RefreshCookiePartitioned = tc.sameSite, tc.partitioned
			s := servertest.Start(t, cfg)
			sess := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)

			// TLS ends in front of the service, as on a platform's proxy,
			// which notes whether each refresh brought the cookie.
			target, err := url.Parse(s.Base)
			if err != nil {
				t.Fatal(err)
			}
			var refreshes, withCookie atomic.Int32
			api := httptest.NewUnstartedServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
				r.SetURL(target)
				r.Out.Host = r.In.Host
				if r.In.URL.Path == "/api/v1/auth/refresh" && r.In.Method == http.MethodPost {
					refreshes.Add(1)
					if _, err := r.In.Cookie("hmb_refresh"); err == nil {
						withCookie.Add(1)
					}
				}
			}})
			api.StartTLS()
			t.Cleanup(api.Close)
			apiOrigin := "https://" + net.JoinHostPort(apiHost, port(t, api.URL))

			ctx := newBrowser(t, chromedp.UserDataDir(profileWithThirdPartyCookies(t, !tc.block3PC)),
				chromedp.Flag("host-resolver-rules", "MAP "+frontendHost+" 127.0.0.1, MAP "+apiHost+" 127.0.0.1"),
				// The test servers' certificate names neither host; the
				// cookie rules look at the https scheme, not at who signed
				// the certificate (the Partitioned cases could not pass
				// otherwise: Partitioned cookies must be Secure).
				chromedp.Flag("ignore-certificate-errors", true),
			)
			if err := chromedp.Do(ctx, chromedp.Navigate(frontendOrigin+"/")); err != nil {
				t.Fatalf("open the frontend: %v", err)
			}
			got, err := chromedp.Run(ctx, chromedp.Evaluate[crossSiteOutcome](
				fmt.Sprintf("signInAndRefresh(%q, %q, %q)", apiOrigin, sess.GetUser().GetEmail(), servertest.Password), chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("the page's sign-in and refresh: %v", err)
			}
			if got != tc.want {
				t.Errorf("the page saw %+v; want %+v", got, tc.want)
			}
			sent := withCookie.Load() > 0
			if wantSent := tc.want.Refresh == http.StatusOK; refreshes.Load() != 1 || sent != wantSent {
				t.Errorf("%d refresh requests reached the API, with the cookie: %v; want 1, %v", refreshes.Load(), sent, wantSent)
			}
		})
	}
}

// profileWithThirdPartyCookies returns a new Chromium profile directory
// whose third-party cookie setting allows or blocks them, as a user's choice
// under Settings, Privacy and security, Third-party cookies does. A fresh
// profile of Debian's Chromium blocks them, unlike Google Chrome's regular
// windows, so the setting is written out either way.
func profileWithThirdPartyCookies(t *testing.T, allow bool) string {
	t.Helper()
	dir := t.TempDir()
	// profile.cookie_controls_mode: 0 allows third-party cookies, 1 blocks
	// them.
	mode := 1
	if allow {
		mode = 0
	}
	if err := os.Mkdir(filepath.Join(dir, "Default"), 0o700); err != nil {
		t.Fatal(err)
	}
	prefs := fmt.Sprintf(`{"profile":{"cookie_controls_mode":%d}}`, mode)
	if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(prefs), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// newBrowser starts a headless Chromium of its own, with a fresh profile,
// for the rest of the test.
func newBrowser(t *testing.T, opts ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	opts = append(append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
	), opts...)
	ctx, cancelAllocator := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAllocator)
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// port is the port of a test server's URL.
func port(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}
