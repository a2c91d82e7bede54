package service_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/testing/protocmp"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/mailtest"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// notifyBoard is a service with mail, an employer with a job, and a
// database connection to look into the queue.
type notifyBoard struct {
	*servertest.Board
	mp  *mailtest.Mailpit
	db  *pgx.Conn
	job *hmbv1.Job
}

func newNotifyBoard(t *testing.T) *notifyBoard {
	t.Helper()
	s, mp, dbURL := withMail(t)
	b := &notifyBoard{Board: &servertest.Board{Service: s, Jobs: hmbv1.NewJobServiceClient(s.Conn), URL: dbURL}, mp: mp}
	b.Employer = s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	b.job = b.Post(t, &hmbv1.Job{Title: "Front Desk Agent"})
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	t.Cleanup(func() {
		if t.Failed() {
			// What the queue held, to tell a lost job from a slow one.
			rows, err := conn.Query(context.Background(), `SELECT id, kind, state, attempt, scheduled_at FROM river_job ORDER BY id`)
			if err != nil {
				t.Log(err)
				return
			}
			for rows.Next() {
				v, _ := rows.Values()
				t.Log(v...)
			}
			rows.Close()
		}
	})
	b.db = conn
	return b
}

// seeker signs up a job seeker with a name of their own.
func (b *notifyBoard) seeker(t *testing.T, first string) *hmbv1.AuthSession {
	t.Helper()
	s, err := hmbv1.NewAuthServiceClient(b.Conn).Register(context.Background(), &hmbv1.RegisterRequest{
		Email: servertest.NewEmail(strings.ToLower(first)), Password: servertest.Password, FirstName: first, LastName: "Rolle",
		Role: hmbv1.Role_ROLE_JOB_SEEKER,
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (b *notifyBoard) apply(t *testing.T, seeker *hmbv1.AuthSession, jobID string) *hmbv1.Application {
	t.Helper()
	a, err := b.Jobs.ApplyToJob(servertest.WithToken(seeker.AccessToken), &hmbv1.ApplyToJobRequest{JobId: jobID})
	if err != nil {
		t.Fatalf("ApplyToJob: %v", err)
	}
	return a
}

func (b *notifyBoard) move(t *testing.T, id string, to hmbv1.ApplicationStatus) {
	t.Helper()
	if _, err := b.Jobs.UpdateApplicationStatus(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateApplicationStatusRequest{Id: id, Status: to}); err != nil {
		t.Fatalf("UpdateApplicationStatus(%v): %v", to, err)
	}
}

// jobs counts the queue's jobs of a kind, and those not yet done.
func (b *notifyBoard) jobs(t *testing.T, kind string) (all, pending int) {
	t.Helper()
	err := b.db.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE state NOT IN ('completed', 'discarded', 'cancelled'))
		FROM river_job WHERE kind = $1`, kind).Scan(&all, &pending)
	if err != nil {
		t.Fatal(err)
	}
	return all, pending
}

// settle waits until n jobs of the kind exist and all are done.
func (b *notifyBoard) settle(t *testing.T, kind string, n int) {
	t.Helper()
	servertest.Eventually(t, 30*time.Second, "the "+kind+" jobs done", func() bool {
		all, pending := b.jobs(t, kind)
		return all == n && pending == 0
	})
}

// sendNotices makes the employers' waiting notices due now, instead of
// after the two minutes they wait for more applications.
func (b *notifyBoard) sendNotices(t *testing.T) {
	t.Helper()
	if _, err := b.db.Exec(context.Background(), `UPDATE river_job SET scheduled_at = now() WHERE kind = 'applications_received' AND state = 'scheduled'`); err != nil {
		t.Fatal(err)
	}
}

var unsubscribeHeader = regexp.MustCompile(`^<(http://localhost:[0-9]+(/api/v1/unsubscribe\?token=([A-Za-z0-9._-]+)))>$`)

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

func TestNewApplicationsNotice(t *testing.T) {
	t.Parallel()
	b := newNotifyBoard(t)
	second := b.Post(t, &hmbv1.Job{Title: "Pool Bartender"})
	ada, ben, cleo := b.seeker(t, "Ada"), b.seeker(t, "Ben"), b.seeker(t, "Cleo")

	// A burst of applications, over both transports, is one waiting job.
	b.apply(t, ada, b.job.Id)
	b.apply(t, ben, second.Id)
	if code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs/"+b.job.Id+"/applications", cleo.AccessToken, map[string]any{}, nil); code != http.StatusOK {
		t.Fatalf("apply over REST: %d", code)
	}
	// A refused duplicate rolls back, its notice with it.
	if _, err := b.Jobs.ApplyToJob(servertest.WithToken(ada.AccessToken), &hmbv1.ApplyToJobRequest{JobId: b.job.Id}); status.Code(err) != codes.AlreadyExists {
		t.Fatalf("duplicate: %v", err)
	}
	if all, pending := b.jobs(t, "applications_received"); all != 1 || pending != 1 {
		t.Fatalf("%d notice jobs (%d pending) for a burst of three applications; want one, waiting", all, pending)
	}
	b.sendNotices(t)
	m := waitForNotice(t, b.mp, b.Employer.User.Email)
	b.settle(t, "applications_received", 1)
	if got := withoutVerification(mailsTo(t, b.mp, b.Employer.User.Email)); len(got) != 1 {
		t.Fatalf("%d mails for one burst; want 1", len(got))
	}
	if want := "3 new applications to your jobs on HireMeBahamas"; m.Subject != want {
		t.Errorf("subject %q; want %q", m.Subject, want)
	}
	for _, line := range []string{"Ada Rolle applied to Front Desk Agent", "Ben Rolle applied to Pool Bartender", "Cleo Rolle applied to Front Desk Agent"} {
		if !strings.Contains(m.Text, line) || !strings.Contains(m.HTML, line) {
			t.Errorf("the notice does not list %q:\n%s", line, m.Text)
		}
	}
	if !strings.Contains(m.Text, "http://localhost:3000/employer/applications") {
		t.Errorf("no link to the applications:\n%s", m.Text)
	}
	unsubscribeLink(t, m)
	for _, s := range []*hmbv1.AuthSession{ada, ben, cleo} {
		if got := withoutVerification(mailsTo(t, b.mp, s.User.Email)); len(got) != 0 {
			t.Errorf("an applicant got %q", got[0].Subject)
		}
	}

	// The next application is a notice of its own, of one.
	dee := b.seeker(t, "Dee")
	b.apply(t, dee, second.Id)
	b.sendNotices(t)
	b.settle(t, "applications_received", 2)
	got := withoutVerification(mailsTo(t, b.mp, b.Employer.User.Email))
	if len(got) != 2 {
		t.Fatalf("%d mails; want 2", len(got))
	}
	for _, g := range got {
		if g.ID != m.ID && (g.Subject != "1 new application to your jobs on HireMeBahamas" || strings.Contains(g.Text, "Ada") || !strings.Contains(g.Text, "Dee Rolle")) {
			t.Errorf("the second notice: %q\n%s", g.Subject, g.Text)
		}
	}
}

func TestApplicationStatusNotice(t *testing.T) {
	t.Parallel()
	b := newNotifyBoard(t)
	ada, ben := b.seeker(t, "Ada"), b.seeker(t, "Ben")
	a := b.apply(t, ada, b.job.Id)
	withdrawn := b.apply(t, ben, b.job.Id)

	b.move(t, a.Id, hmbv1.ApplicationStatus_APPLICATION_STATUS_REVIEWING)
	if code, _ := b.Call(t, http.MethodPatch, "/api/v1/applications/"+a.Id, b.Employer.AccessToken,
		map[string]any{"status": "APPLICATION_STATUS_INTERVIEW"}, nil); code != http.StatusOK {
		t.Fatalf("move over REST: %d", code)
	}
	// The applicant's own withdrawal tells nobody.
	if _, err := b.Jobs.WithdrawApplication(servertest.WithToken(ben.AccessToken), &hmbv1.WithdrawApplicationRequest{Id: withdrawn.Id}); err != nil {
		t.Fatal(err)
	}
	// A move refused for a stale status rolls back, its notice with it.
	if _, err := b.Jobs.UpdateApplicationStatus(servertest.WithToken(b.Employer.AccessToken), &hmbv1.UpdateApplicationStatusRequest{
		Id: a.Id, Status: hmbv1.ApplicationStatus_APPLICATION_STATUS_INTERVIEW}); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("a move to the status it has: %v", err)
	}
	b.settle(t, "application_moved", 2)
	got := withoutVerification(mailsTo(t, b.mp, ada.User.Email))
	if len(got) != 2 {
		t.Fatalf("%d mails for two moves; want 2", len(got))
	}
	news := map[string]bool{}
	for _, m := range got {
		if want := "Update on your application for Front Desk Agent"; m.Subject != want {
			t.Errorf("subject %q; want %q", m.Subject, want)
		}
		for _, n := range []string{"is being reviewed", "has moved on to an interview"} {
			if strings.Contains(m.Text, "Your application for Front Desk Agent "+n) && strings.Contains(m.HTML, n) {
				news[n] = true
			}
		}
		if !strings.Contains(m.Text, "http://localhost:3000/applications") {
			t.Errorf("no link to the applications:\n%s", m.Text)
		}
		unsubscribeLink(t, m)
	}
	if len(news) != 2 {
		t.Errorf("the mails do not tell both moves: %v", news)
	}
	if n := len(withoutVerification(mailsTo(t, b.mp, ben.User.Email))); n != 0 {
		t.Errorf("%d mails for a withdrawal", n)
	}
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

// waitForNotice waits for a mail to to that is not the sign-up's
// verification mail, and returns the newest such.
func waitForNotice(t *testing.T, mp *mailtest.Mailpit, to string) mailtest.Received {
	t.Helper()
	var got []mailtest.Received
	servertest.Eventually(t, 30*time.Second, "a notice to "+to, func() bool {
		got = withoutVerification(mailsTo(t, mp, to))
		return len(got) > 0
	})
	return got[0] // newest first, as Mailpit lists them
}
