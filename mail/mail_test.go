package mail_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/hiremebahamas/api/internal/mailtest"
	"github.com/hiremebahamas/api/mail"
)

const (
	product = "HireMeBahamas"
	from    = "HireMeBahamas <no-reply@hiremebahamas.com>"
	wait    = 10 * time.Second
)

func newSMTP(t *testing.T, url string) *mail.SMTP {
	t.Helper()
	s, err := mail.NewSMTP(mail.Options{URL: url, From: from, ProductName: product})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// Each template arrives with both parts, the product's name, its footer's
// reason and the data, escaped in HTML; an unsubscribe link adds the RFC
// 8058 headers and a footer link, and without one neither is there.
func TestTemplatesArrive(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t)
	s := newSMTP(t, mp.SMTPURL())
	const hostile = `<script>alert("x")</script>`
	const unsubscribe = "https://hiremebahamas.com/unsubscribe?token=u1&list=jobs"
	for _, tc := range []struct {
		name, template string
		data           map[string]string
		unsubscribe    string
		wantSubject    string
		wantText       []string // in the text part, and, escaped, in the HTML part
		wantReason     string
	}{
		{
			name: "password reset", template: "password_reset",
			data:        map[string]string{"FirstName": hostile, "ResetURL": "https://hiremebahamas.com/reset?token=t1&step=2", "ValidFor": "1 hour"},
			wantSubject: "Reset your HireMeBahamas password",
			wantText:    []string{hostile, "https://hiremebahamas.com/reset?token=t1&step=2", "within 1 hour"},
			wantReason:  "You received this because someone asked to reset the password of your HireMeBahamas account.",
		},
		{
			name: "verify email", template: "verify_email",
			data:        map[string]string{"FirstName": hostile, "VerifyURL": "https://hiremebahamas.com/verify-email?token=v1&step=2", "ValidFor": "24 hours"},
			wantSubject: "Verify your email for HireMeBahamas",
			wantText:    []string{hostile, "https://hiremebahamas.com/verify-email?token=v1&step=2", "within 24 hours"},
			wantReason:  "You received this because this email was used to open a HireMeBahamas account.",
		},
		{
			name: "password changed", template: "password_changed",
			data:        map[string]string{"FirstName": hostile},
			wantSubject: "Your HireMeBahamas password was changed",
			wantText:    []string{hostile},
			wantReason:  "You received this because the password of your HireMeBahamas account was changed.",
		},
		{
			name: "password changed, with an unsubscribe link", template: "password_changed",
			data:        map[string]string{"FirstName": "Ada"},
			unsubscribe: unsubscribe,
			wantSubject: "Your HireMeBahamas password was changed",
			wantText:    []string{"Ada"},
			wantReason:  "You received this because the password of your HireMeBahamas account was changed.",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			to := strings.ReplaceAll(tc.name, " ", "-")
			to = strings.ReplaceAll(to, ",", "") + "@example.com"
			if err := s.Send(t.Context(), mail.Message{To: to, Template: tc.template, Data: tc.data, UnsubscribeURL: tc.unsubscribe}); err != nil {
				t.Fatal(err)
			}
			got := mp.WaitFor(t, to, wait)
			if diff := cmp.Diff([]string{to}, got.To); diff != "" {
				t.Errorf("To (-want +got):\n%s", diff)
			}
			if got.Subject != tc.wantSubject || !strings.Contains(got.Subject, product) {
				t.Errorf("Subject %q; want %q, with %s", got.Subject, tc.wantSubject, product)
			}
			if ct := strings.Join(got.Headers["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/alternative") {
				t.Errorf("Content-Type %q; want multipart/alternative", ct)
			}
			for _, part := range []struct{ name, body string }{{"text", got.Text}, {"HTML", got.HTML}} {
				if !strings.Contains(part.body, tc.wantReason) || !strings.Contains(part.body, product) {
					t.Errorf("%s part lacks the product or the reason %q:\n%s", part.name, tc.wantReason, part.body)
				}
			}
			for _, w := range tc.wantText {
				if !strings.Contains(got.Text, w) {
					t.Errorf("text part lacks %q:\n%s", w, got.Text)
				}
				if escaped := htmlEscape(w); !strings.Contains(got.HTML, escaped) {
					t.Errorf("HTML part lacks %q:\n%s", escaped, got.HTML)
				}
			}
			if strings.Contains(got.HTML, "<script") {
				t.Errorf("HTML part carries the data unescaped:\n%s", got.HTML)
			}
			wantHeaders := map[string][]string{}
			if tc.unsubscribe != "" {
				wantHeaders = map[string][]string{
					"List-Unsubscribe":      {"<" + tc.unsubscribe + ">"},
					"List-Unsubscribe-Post": {"List-Unsubscribe=One-Click"},
				}
			}
			gotHeaders := map[string][]string{}
			for _, h := range []string{"List-Unsubscribe", "List-Unsubscribe-Post"} {
				if v, ok := got.Headers[h]; ok {
					gotHeaders[h] = v
				}
			}
			if diff := cmp.Diff(wantHeaders, gotHeaders); diff != "" {
				t.Errorf("unsubscribe headers (-want +got):\n%s", diff)
			}
			link := `href="` + htmlEscape(tc.unsubscribe) + `"`
			if tc.unsubscribe != "" && (!strings.Contains(got.HTML, link) || !strings.Contains(got.Text, tc.unsubscribe)) {
				t.Errorf("footer lacks the unsubscribe link %s:\nHTML: %s\ntext: %s", link, got.HTML, got.Text)
			}
			if tc.unsubscribe == "" && (strings.Contains(got.HTML, "Unsubscribe") || strings.Contains(got.Text, "Unsubscribe")) {
				t.Errorf("an unsubscribe link without UnsubscribeURL:\nHTML: %s\ntext: %s", got.HTML, got.Text)
			}
		})
	}
}

// htmlEscape is what html/template makes of text and attribute values here.
func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;").Replace(s)
}

// Line breaks in the recipient are refused, and in the data they stay in
// the body: no header can be added either way.
func TestHeaderInjection(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t)
	s := newSMTP(t, mp.SMTPURL())
	for _, to := range []string{
		"victim@example.com\r\nBcc: evil@example.com",
		"victim@example.com\nX-Injected: yes",
		"victim@example.com, evil@example.com",
	} {
		err := s.Send(t.Context(), mail.Message{To: to, Template: "password_changed", Data: map[string]string{"FirstName": "Ada"}})
		if err == nil {
			t.Errorf("To %q: sent; want an error", to)
		}
	}
	const to = "ada@example.com"
	err := s.Send(t.Context(), mail.Message{To: to, Template: "password_reset", Data: map[string]string{
		"FirstName": "Ada\r\nBcc: evil@example.com\r\nX-Injected: yes",
		"ResetURL":  "https://hiremebahamas.com/reset?t=1\r\nX-Injected: yes",
		"ValidFor":  "1 hour\r\n\r\nX-Injected: yes",
	}})
	if err != nil {
		t.Fatal(err)
	}
	got := mp.WaitFor(t, to, wait)
	for _, h := range []string{"X-Injected", "Bcc"} {
		if v, ok := got.Headers[h]; ok {
			t.Errorf("header %s: %q was injected", h, v)
		}
	}
	if all := mp.Messages(t); len(all) != 1 || len(all[0].To) != 1 {
		t.Errorf("%d messages arrived (%+v); want the one to %s alone", len(all), all, to)
	}
}

// What cannot be rendered or addressed is an error, and nothing is sent.
func TestSendRefusesBadMessages(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t)
	s := newSMTP(t, mp.SMTPURL())
	reset := map[string]string{"FirstName": "Ada", "ResetURL": "https://hiremebahamas.com/reset?t=1", "ValidFor": "1 hour"}
	for _, tc := range []struct {
		name string
		m    mail.Message
	}{
		{"no such template", mail.Message{To: "a@example.com", Template: "welcome", Data: reset}},
		{"no template", mail.Message{To: "a@example.com", Data: reset}},
		{"a path for a template", mail.Message{To: "a@example.com", Template: "../templates/password_reset", Data: reset}},
		{"a field missing", mail.Message{To: "a@example.com", Template: "password_reset", Data: map[string]string{"FirstName": "Ada"}}},
		{"no data", mail.Message{To: "a@example.com", Template: "password_changed"}},
		{"no recipient", mail.Message{Template: "password_changed", Data: reset}},
		{"not an address", mail.Message{To: "ada at example.com", Template: "password_changed", Data: reset}},
		{"unsubscribe over http", mail.Message{To: "a@example.com", Template: "password_changed", Data: reset, UnsubscribeURL: "http://hiremebahamas.com/u"}},
		{"unsubscribe not a URL", mail.Message{To: "a@example.com", Template: "password_changed", Data: reset, UnsubscribeURL: "javascript:alert(1)"}},
		{"unsubscribe with a line break", mail.Message{To: "a@example.com", Template: "password_changed", Data: reset, UnsubscribeURL: "https://hiremebahamas.com/u\r\nBcc: evil@example.com"}},
		{"unsubscribe with an angle bracket", mail.Message{To: "a@example.com", Template: "password_changed", Data: reset, UnsubscribeURL: "https://hiremebahamas.com/u>, <mailto:evil@example.com"}},
	} {
		if err := s.Send(t.Context(), tc.m); err == nil {
			t.Errorf("%s: sent; want an error", tc.name)
		}
	}
	// The one good message is then the only one there.
	if err := s.Send(t.Context(), mail.Message{To: "good@example.com", Template: "password_reset", Data: reset}); err != nil {
		t.Fatal(err)
	}
	mp.WaitFor(t, "good@example.com", wait)
	if all := mp.Messages(t); len(all) != 1 {
		t.Errorf("%d messages arrived; want 1", len(all))
	}
}

func TestParseURL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		url  string
		want mail.Server
	}{
		{"smtp://127.0.0.1:1025", mail.Server{Host: "127.0.0.1", Port: 1025, Security: mail.Opportunistic}},
		{"smtp://mail.example.com", mail.Server{Host: "mail.example.com", Port: 587, Security: mail.Opportunistic}},
		{"smtp://u:p%40ss@mail.example.com:2525?tls=required", mail.Server{Host: "mail.example.com", Port: 2525, Security: mail.StartTLS, Username: "u", Password: "p@ss"}},
		{"starttls://apikey:k@smtp.example.com", mail.Server{Host: "smtp.example.com", Port: 587, Security: mail.StartTLS, Username: "apikey", Password: "k"}},
		{"smtps://apikey:k@smtp.example.com", mail.Server{Host: "smtp.example.com", Port: 465, Security: mail.ImplicitTLS, Username: "apikey", Password: "k"}},
		{"SMTPS://[::1]:1465/", mail.Server{Host: "::1", Port: 1465, Security: mail.ImplicitTLS}},
	} {
		got, err := mail.ParseURL(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.url, diff)
		}
	}
}

// Bad options are refused by NewSMTP, and the password never appears in
// the error.
func TestNewSMTPRefusesBadOptions(t *testing.T) {
	t.Parallel()
	good := mail.Options{URL: "smtps://u:hunter2@smtp.example.com", From: from, ProductName: product}
	for _, tc := range []struct {
		name string
		edit func(*mail.Options)
	}{
		{"no URL", func(o *mail.Options) { o.URL = "" }},
		{"not a URL", func(o *mail.Options) { o.URL = "smtp://u:hunter2@smtp.example.com:%zz" }},
		{"http", func(o *mail.Options) { o.URL = "https://u:hunter2@smtp.example.com" }},
		{"no host", func(o *mail.Options) { o.URL = "smtps://u:hunter2@:465" }},
		{"port not a number", func(o *mail.Options) { o.URL = "smtps://u:hunter2@smtp.example.com:smtp" }},
		{"port out of range", func(o *mail.Options) { o.URL = "smtps://u:hunter2@smtp.example.com:70000" }},
		{"a path", func(o *mail.Options) { o.URL = "smtps://u:hunter2@smtp.example.com/inbox" }},
		{"unknown parameter", func(o *mail.Options) { o.URL = "smtp://u:hunter2@smtp.example.com?tls=yes" }},
		{"tls on smtps", func(o *mail.Options) { o.URL = "smtps://u:hunter2@smtp.example.com?tls=required" }},
		{"another parameter", func(o *mail.Options) { o.URL = "smtp://u:hunter2@smtp.example.com?auth=plain" }},
		{"no from", func(o *mail.Options) { o.From = "" }},
		{"from not an address", func(o *mail.Options) { o.From = "HireMeBahamas" }},
		{"two froms", func(o *mail.Options) { o.From = "a@example.com, b@example.com" }},
		{"from with a line break", func(o *mail.Options) { o.From = "a@example.com\r\nBcc: evil@example.com" }},
		{"no product", func(o *mail.Options) { o.ProductName = " " }},
	} {
		o := good
		tc.edit(&o)
		_, err := mail.NewSMTP(o)
		if err == nil {
			t.Errorf("%s: accepted", tc.name)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%s: the error shows the password: %v", tc.name, err)
		}
	}
	if _, err := mail.NewSMTP(good); err != nil {
		t.Errorf("good options: %v", err)
	}
}

// A server without STARTTLS is refused when TLS is required, and plain
// text is no TLS: nothing is sent in the clear.
func TestTLSRequired(t *testing.T) {
	t.Parallel()
	mp := mailtest.Start(t)
	port := strings.TrimPrefix(mp.SMTPURL(), "smtp://127.0.0.1:")
	for _, url := range []string{
		mp.SMTPURL() + "?tls=required",
		"starttls://127.0.0.1:" + port,
		"smtps://127.0.0.1:" + port,
	} {
		s := newSMTP(t, url)
		err := s.Send(t.Context(), mail.Message{To: "a@example.com", Template: "password_changed", Data: map[string]string{"FirstName": "Ada"}})
		if err == nil {
			t.Errorf("%s: sent to a server without TLS", url)
		}
	}
	if all := mp.Messages(t); len(all) != 0 {
		t.Errorf("%d messages arrived; want none", len(all))
	}
}

// A server that is gone is an error; one that accepts and never answers is
// given up on at the context's deadline.
func TestUnreachableServer(t *testing.T) {
	t.Parallel()
	m := mail.Message{To: "a@example.com", Template: "password_changed", Data: map[string]string{"FirstName": "Ada"}}

	t.Run("stopped", func(t *testing.T) {
		t.Parallel()
		mp := mailtest.Start(t)
		s := newSMTP(t, mp.SMTPURL())
		mp.Stop()
		if err := s.Send(t.Context(), m); err == nil {
			t.Error("sent to a stopped server")
		}
	})

	t.Run("silent", func(t *testing.T) {
		t.Parallel()
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				t.Cleanup(func() { c.Close() })
			}
		}()
		s := newSMTP(t, "smtp://"+l.Addr().String())
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Send(ctx, m) }()
		// Far past the context's deadline, and short of go-mail's own
		// default timeout, which alone would end it otherwise.
		select {
		case err := <-done:
			if !errors.Is(err, os.ErrDeadlineExceeded) && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send to a silent server: %v; want a deadline error", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Send to a silent server still waits, 10 s after its context's deadline")
		}
	})
}
