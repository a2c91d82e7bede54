package service_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/mailtest"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// unsubscribeLink checks the RFC 8058 headers of m and returns the link's
// path with its query, and its token.
func unsubscribeLink(t *testing.T, m mailtest.Received) (pathQuery, token string) {
	t.Helper()
	h := m.Headers["List-Unsubscribe"]
	if len(h) != 1 || !unsubscribeHeader.MatchString(h[0]) {
		t.Fatalf("List-Unsubscribe %q; want one link to the API's unsubscribe endpoint", h)
	}
	if p := m.Headers["List-Unsubscribe-Post"]; len(p) != 1 || p[0] != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post %q", p)
	}
	link := unsubscribeHeader.FindStringSubmatch(h[0])
	if !strings.Contains(m.Text, link[1]) || !strings.Contains(m.HTML, strings.ReplaceAll(link[1], "&", "&amp;")) {
		t.Errorf("the footers do not link %s:\n%s\n%s", link[1], m.Text, m.HTML)
	}
	return link[2], link[3]
}

// oneClick POSTs to an unsubscribe link as a mail client does (RFC 8058):
// a form body, no credentials, from the client's servers (no Origin) or
// from a webmail page.
func oneClick(t *testing.T, s *servertest.Service, pathQuery, origin string) (int, []byte) {
	t.Helper()
	header := []string{"Content-Type", "application/x-www-form-urlencoded"}
	if origin != "" {
		header = append(header, "Origin", origin, "Sec-Fetch-Site", "cross-site")
	}
	code, _, body := s.Do(t, http.MethodPost, pathQuery, strings.NewReader("List-Unsubscribe=One-Click"), header...)
	return code, body
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	b := newNotifyBoard(t)
	ada := b.seeker(t, "Ada")
	users := hmbv1.NewUserServiceClient(b.Conn)
	a := b.apply(t, ada, b.job.Id)
	b.move(t, a.Id, hmbv1.ApplicationStatus_APPLICATION_STATUS_REVIEWING)
	b.sendNotices(t)
	seekerMail := waitForNotice(t, b.mp, ada.User.Email)
	employerMail := waitForNotice(t, b.mp, b.Employer.User.Email)
	// Done early, as the test made it, the notice no longer holds the
	// period's later applications once done.
	b.settle(t, "applications_received", 1)
	seekerLink, seekerToken := unsubscribeLink(t, seekerMail)
	_, employerToken := unsubscribeLink(t, employerMail)
	if seekerToken == employerToken {
		t.Fatal("one token for two accounts and kinds")
	}

	// Tokens that are not ours change nothing.
	tampered := strings.Replace(seekerToken, "application_updates", "new_applications", 1)
	for _, tc := range []struct{ name, token string }{
		{"another kind", tampered},
		{"another account", strings.Replace(seekerToken, ada.User.Id, b.Employer.User.Id, 1)},
		{"bad signature", seekerToken[:len(seekerToken)-4] + "AAAA"},
		{"not a token", "nonsense"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := oneClick(t, b.Service, "/api/v1/unsubscribe?token="+url.QueryEscape(tc.token), "")
			if e := servertest.DecodeError(t, body); code != http.StatusBadRequest || e.Error.Reason != "UNSUBSCRIBE_TOKEN_INVALID" {
				t.Errorf("REST: %d %s", code, body)
			}
			_, err := users.Unsubscribe(context.Background(), &hmbv1.UnsubscribeRequest{Token: tc.token})
			if status.Code(err) != codes.InvalidArgument || servertest.Reason(err) != "UNSUBSCRIBE_TOKEN_INVALID" {
				t.Errorf("gRPC: %v", err)
			}
		})
	}
	if code, body := oneClick(t, b.Service, "/api/v1/unsubscribe", ""); code != http.StatusBadRequest {
		t.Errorf("no token: %d %s", code, body)
	}
	on := &hmbv1.MailPreferences{NewApplications: true, ApplicationUpdates: true, JobAlerts: true}
	for _, s := range []*hmbv1.AuthSession{ada, b.Employer} {
		got, err := users.GetMailPreferences(servertest.WithToken(s.AccessToken), &hmbv1.GetMailPreferencesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(on, got, protocmp.Transform()); diff != "" {
			t.Errorf("preferences after refused tokens (-want +got):\n%s", diff)
		}
	}

	// The link as a mail client follows it: from its servers, then again
	// from a webmail page; the second does nothing more.
	for _, origin := range []string{"", "https://mail.example.com"} {
		code, body := oneClick(t, b.Service, seekerLink, origin)
		if code != http.StatusOK || servertest.Decode(t, body)["kind"] != "application_updates" {
			t.Errorf("one-click unsubscribe (Origin %q): %d %s", origin, code, body)
		}
	}
	// The employer's, through the API.
	if resp, err := users.Unsubscribe(context.Background(), &hmbv1.UnsubscribeRequest{Token: employerToken}); err != nil || resp.Kind != "new_applications" {
		t.Errorf("Unsubscribe: %v %v", resp, err)
	}
	for _, tc := range []struct {
		who  *hmbv1.AuthSession
		want *hmbv1.MailPreferences
	}{
		{ada, &hmbv1.MailPreferences{NewApplications: true, JobAlerts: true}},
		{b.Employer, &hmbv1.MailPreferences{ApplicationUpdates: true, JobAlerts: true}},
	} {
		got, err := users.GetMailPreferences(servertest.WithToken(tc.who.AccessToken), &hmbv1.GetMailPreferencesRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(tc.want, got, protocmp.Transform()); diff != "" {
			t.Errorf("preferences after unsubscribing (-want +got):\n%s", diff)
		}
	}

	// The next events send nothing.
	b.move(t, a.Id, hmbv1.ApplicationStatus_APPLICATION_STATUS_INTERVIEW)
	b.apply(t, b.seeker(t, "Ben"), b.job.Id)
	b.sendNotices(t)
	b.settle(t, "application_moved", 2)
	b.settle(t, "applications_received", 2)
	if n := len(withoutVerification(mailsTo(t, b.mp, ada.User.Email))); n != 1 {
		t.Errorf("%d mails to the seeker; want only the one before unsubscribing", n)
	}
	if n := len(withoutVerification(mailsTo(t, b.mp, b.Employer.User.Email))); n != 1 {
		t.Errorf("%d mails to the employer; want only the one before unsubscribing", n)
	}
}

func TestMailPreferences(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	u := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	users := hmbv1.NewUserServiceClient(s.Conn)
	ctx := servertest.WithToken(u.AccessToken)

	got, err := users.GetMailPreferences(ctx, &hmbv1.GetMailPreferencesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&hmbv1.MailPreferences{NewApplications: true, ApplicationUpdates: true, JobAlerts: true}, got, protocmp.Transform()); diff != "" {
		t.Errorf("defaults (-want +got):\n%s", diff)
	}
	// gRPC changes what the mask names, and nothing else.
	got, err = users.UpdateMailPreferences(ctx, &hmbv1.UpdateMailPreferencesRequest{
		Preferences: &hmbv1.MailPreferences{JobAlerts: false, NewApplications: false},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"job_alerts"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&hmbv1.MailPreferences{NewApplications: true, ApplicationUpdates: true}, got, protocmp.Transform()); diff != "" {
		t.Errorf("after turning job alerts off (-want +got):\n%s", diff)
	}
	// REST changes the fields in the body; on again is on again.
	var out map[string]any
	if code, _ := s.Call(t, http.MethodPatch, "/api/v1/users/me/mail-preferences", u.AccessToken,
		map[string]any{"application_updates": false, "job_alerts": true}, &out); code != http.StatusOK {
		t.Fatalf("PATCH: %d %v", code, out)
	}
	want := map[string]any{"new_applications": true, "application_updates": false, "job_alerts": true}
	if code, _ := s.Call(t, http.MethodGet, "/api/v1/users/me/mail-preferences", u.AccessToken, nil, &out); code != http.StatusOK {
		t.Fatalf("GET: %d", code)
	}
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("over REST (-want +got):\n%s", diff)
	}

	// Refusals change nothing.
	if _, err := users.UpdateMailPreferences(ctx, &hmbv1.UpdateMailPreferencesRequest{Preferences: &hmbv1.MailPreferences{}}); status.Code(err) != codes.InvalidArgument || servertest.Reason(err) != "INVALID_UPDATE_MASK" {
		t.Errorf("no mask: %v", err)
	}
	var refused servertest.RestError
	if code, _ := s.Call(t, http.MethodPatch, "/api/v1/users/me/mail-preferences?update_mask=new_applications,password_reset", u.AccessToken,
		map[string]any{"new_applications": false}, &refused); code != http.StatusBadRequest || refused.Error.Reason != "INVALID_UPDATE_MASK" || !strings.Contains(refused.Error.Message, "password_reset") {
		t.Errorf("an unknown kind: %d %+v", code, refused.Error)
	}
	if _, err := users.UpdateMailPreferences(ctx, &hmbv1.UpdateMailPreferencesRequest{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"job_alerts"}}}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("no preferences: %v", err)
	}
	if code, _ := s.Call(t, http.MethodGet, "/api/v1/users/me/mail-preferences", "", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("without signing in: %d", code)
	}
	if _, err := users.GetMailPreferences(context.Background(), &hmbv1.GetMailPreferencesRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("without signing in over gRPC: %v", err)
	}
	s.Call(t, http.MethodGet, "/api/v1/users/me/mail-preferences", u.AccessToken, nil, &out)
	if diff := cmp.Diff(want, out); diff != "" {
		t.Errorf("after refusals (-want +got):\n%s", diff)
	}
}
