package service_test

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/mailtest"
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
