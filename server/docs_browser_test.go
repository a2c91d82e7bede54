package server_test

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// chromiumPath is Debian's Chromium, which .ci/run installs.
const chromiumPath = "/usr/bin/chromium"

// screenshotPath is the README's picture of /docs, rewritten when
// UPDATE_SCREENSHOT=1.
const screenshotPath = "../docs/api-reference.png"

// requireChromium skips the test, or fails it in CI, when Chromium is
// missing; what names what would go untested.
func requireChromium(t *testing.T, what string) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing; CI installs Debian's chromium package: %v", chromiumPath, err)
		}
		t.Skipf("%s is missing (apt-get install chromium); not testing %s in a browser", chromiumPath, what)
	}
}

// recordViolations runs in the page before its own scripts and keeps every
// Content-Security-Policy violation, in case one never reaches the console.
const recordViolations = `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline code"));
});`

// TestDocsInBrowser opens /docs in headless Chromium: the reference renders
// every service's operations, and the page breaks none of its own
// Content-Security-Policy and logs no error.
func TestDocsInBrowser(t *testing.T) {
	t.Parallel()
	requireChromium(t, "/docs")
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath),
		chromedp.NoSandbox, // CI runs as root, where Chromium's sandbox cannot start
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 1400),
	)
	ctx, cancelAllocator := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAllocator()
	ctx, cancelBrowser := chromedp.NewContext(ctx)
	defer cancelBrowser()

	var mu sync.Mutex
	var console []chromedp.ConsoleMessage
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			mu.Lock()
			console = append(console, m)
			mu.Unlock()
		}
	}()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: recordViolations}); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}

	const (
		login = "#operations-AuthService-AuthService_Login"
		live  = "#operations-HealthService-HealthService_CheckLiveness"
	)
	for _, step := range []struct {
		what   string
		action chromedp.Action[chromedp.Void]
	}{
		{"open /docs", chromedp.Navigate(s.Base + "/docs")},
		{"render the operations", chromedp.WaitVisible(chromedp.CSS("#operations-tag-JobService"))},
		// An open operation renders its parameters and schemas too.
		{"open Login", chromedp.Click(chromedp.CSS(login + " .opblock-summary-control"))},
		{"render Login", chromedp.WaitVisible(chromedp.CSS(login + " .opblock-body"))},
		// "Try it out" calls the API from the page.
		{"open CheckLiveness", chromedp.Click(chromedp.CSS(live + " .opblock-summary-control"))},
		{"try CheckLiveness", chromedp.Click(chromedp.CSS(live + " .try-out__btn"))},
		{"execute CheckLiveness", chromedp.Click(chromedp.CSS(live + " .execute"))},
		{"show the response", chromedp.WaitVisible(chromedp.CSS(live + " .live-responses-table .response-col_status"))},
		// The bearer token form submits within the page.
		{"open Authorize", chromedp.Click(chromedp.CSS(".auth-wrapper .authorize"))},
		{"enter a token", chromedp.SendKeys(chromedp.CSS(".auth-container input"), "an-access-token")},
		{"authorize", chromedp.Click(chromedp.CSS(".auth-btn-wrapper .modal-btn.authorize"))},
		{"show the token is kept", chromedp.WaitVisible(chromedp.CSS(`.auth-btn-wrapper [aria-label="Remove authorization"]`))},
		{"close Authorize", chromedp.Click(chromedp.CSS(".auth-btn-wrapper .btn-done"))},
	} {
		stepCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Do(stepCtx, step.action)
		cancel()
		if err != nil {
			html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
			t.Fatalf("%s: %v; the page:\n%.3000s", step.what, err, html)
		}
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#swagger-ui")))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"HireMeBahamas API",
		"AuthService", "/api/v1/auth/login", "Login signs in with email and password",
		"UserService", "/api/v1/users/me", "GetMe",
		"JobService", "/api/v1/jobs", "ListJobs searches open, published, unexpired jobs",
		"LoginRequest carries credentials", // the request body's message comment
	} {
		if !strings.Contains(text, want) {
			t.Errorf("/docs does not show %q", want)
		}
	}

	response, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(live+" .live-responses-table")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(response, "200") || !strings.Contains(response, `"status": "alive"`) {
		t.Errorf("CheckLiveness tried from /docs answered:\n%s", response)
	}

	violations, err := chromedp.Run(ctx, chromedp.Evaluate[[]string]("window.cspViolations"))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range violations {
		t.Errorf("Content-Security-Policy violation: %s", v)
	}
	mu.Lock()
	for _, m := range console {
		if m.Type == chromedp.ConsoleError || m.IsException() || m.Type == chromedp.ConsoleWarning || m.Source == "security" {
			t.Errorf("console %s (%s:%d)", m, m.URL, m.Line)
		}
	}
	mu.Unlock()

	if os.Getenv("UPDATE_SCREENSHOT") == "1" {
		if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void]("window.scrollTo(0, 0)")); err != nil {
			t.Fatal(err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
