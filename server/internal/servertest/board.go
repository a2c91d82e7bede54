package servertest

import (
	"context"
	"testing"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
)

// Board is a service with an employer, a second employer, a seeker and an
// admin signed in.
type Board struct {
	*Service
	Jobs                    hmbv1.JobServiceClient
	Employer, Rival, Seeker *hmbv1.AuthSession
	Admin                   string // access token
	URL                     string // the database's
}

// NewBoard starts a service on a database of its own and signs them in.
func NewBoard(t *testing.T) *Board {
	t.Helper()
	url := pgtest.NewDatabase(t)
	s := Start(t, Config(url))
	b := &Board{Service: s, Jobs: hmbv1.NewJobServiceClient(s.Conn), URL: url}
	b.Employer = s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	b.Rival = s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	b.Seeker = s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	admin := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	Promote(t, url, admin.User.Id)
	login, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: admin.User.Email, Password: Password})
	if err != nil {
		t.Fatal(err)
	}
	b.Admin = login.AccessToken
	return b
}

// Post creates an open job as the employer from a template.
func (b *Board) Post(t *testing.T, j *hmbv1.Job) *hmbv1.Job {
	t.Helper()
	if j.Company == "" {
		j.Company = "Coral Reef Resort"
	}
	if j.Description == "" {
		j.Description = "Join our team on the beach."
	}
	if j.Category == 0 {
		j.Category = hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY
	}
	if j.EmploymentType == 0 {
		j.EmploymentType = hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME
	}
	if j.Island == 0 {
		j.Island = hmbv1.Island_ISLAND_NEW_PROVIDENCE
	}
	got, err := b.Jobs.CreateJob(WithToken(b.Employer.AccessToken), &hmbv1.CreateJobRequest{Job: j})
	if err != nil {
		t.Fatalf("CreateJob(%q): %v", j.Title, err)
	}
	return got
}

// Promote makes a user an admin directly in the database, as an operator's
// `hiremebahamas admin set-role` does.
func Promote(t *testing.T, url, id string) {
	t.Helper()
	if _, err := OpenStore(t, url).SetRole(context.Background(), id, "ADMIN"); err != nil {
		t.Fatal(err)
	}
}
