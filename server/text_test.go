package server_test

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

// unreadable are values of a one-line field that people could not read as
// stored, and what the message says of each after the field's name; ""
// where the field's own rule (a name cannot be blank) may speak first.
var unreadable = []struct{ name, value, want string }{
	{"zero-width space only", "\u200b", "must not contain invisible or direction-changing characters (U+200B)"},
	{"right-to-left override", "Ada\u202eevil", "must not contain invisible or direction-changing characters (U+202E)"},
	{"Hangul filler only", "\u3164", "must not contain invisible or direction-changing characters (U+3164)"},
	{"no-break spaces only", "\u00a0\u00a0", ""},
	{"combining mark alone", "\u0301", "must contain a visible character"},
	{"control character", "Ada\u0007", "must not contain control characters (U+0007)"},
}

// readableNames must pass wherever a name goes.
var readableNames = []string{"Jean-Baptiste", "O'Brien", "Wòch Fènèl", "José Muñoz", "Ségolène Lefèvre", "王小明"}

// textField is a field the tests fill with unreadable text: its JSON key,
// the field and the reason the error names, and how to set it in a proto.
type textField[M any] struct {
	key, field, reason string
	set                func(M, string)
}

// restValue is the JSON value of a field set to v: lists get v second,
// after a good item, so that the error must name the item.
func restValue(key, v string) any {
	if key == "skills" {
		return []string{"Go", v}
	}
	return v
}

// checkRefused checks a REST answer and a gRPC error: both must be
// INVALID_ARGUMENT with the reason, naming the field and saying want.
func checkRefused(t *testing.T, reasonWant, field, want string, code int, e servertest.RestError, err error) {
	t.Helper()
	if code != http.StatusBadRequest || e.Error.Status != "INVALID_ARGUMENT" || e.Error.Reason != reasonWant ||
		!strings.HasPrefix(e.Error.Message, field+": ") || !strings.Contains(e.Error.Message, want) {
		t.Errorf("REST: %d %+v; want 400 %s %q", code, e.Error, reasonWant, field+": "+want)
	}
	msg := status.Convert(err).Message()
	if status.Code(err) != codes.InvalidArgument || servertest.Reason(err) != reasonWant || !strings.HasPrefix(msg, field+": ") || !strings.Contains(msg, want) {
		t.Errorf("gRPC: %v (%s); want InvalidArgument %s %q", err, servertest.Reason(err), reasonWant, field+": "+want)
	}
}

func TestRegisterRefusesUnreadableText(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := servertest.Start(t, servertest.Config(url))
	authc := hmbv1.NewAuthServiceClient(s.Conn)
	body := func(email, first, last string) map[string]any {
		return map[string]any{"email": email, "password": servertest.Password, "first_name": first, "last_name": last, "role": "ROLE_JOB_SEEKER"}
	}
	request := func(email, first, last string) *hmbv1.RegisterRequest {
		return &hmbv1.RegisterRequest{Email: email, Password: servertest.Password, FirstName: first, LastName: last, Role: hmbv1.Role_ROLE_JOB_SEEKER}
	}
	before := tableDigests(t, url)
	for _, tc := range unreadable {
		for _, f := range []textField[*hmbv1.RegisterRequest]{
			{"first_name", "first_name", "INVALID_FIRST_NAME", func(r *hmbv1.RegisterRequest, v string) { r.FirstName = v }},
			{"last_name", "last_name", "INVALID_LAST_NAME", func(r *hmbv1.RegisterRequest, v string) { r.LastName = v }},
		} {
			t.Run(tc.name+"/"+f.key, func(t *testing.T) {
				b := body(servertest.NewEmail("unreadable"), "Ada", "Lovelace")
				b[f.key] = tc.value
				var e servertest.RestError
				code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", b, &e)
				req := request(servertest.NewEmail("unreadable"), "Ada", "Lovelace")
				f.set(req, tc.value)
				_, err := authc.Register(context.Background(), req)
				checkRefused(t, f.reason, f.field, tc.want, code, e, err)
			})
		}
	}
	t.Run("email with a right-to-left override", func(t *testing.T) {
		var e servertest.RestError
		code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", body("ada\u202emoc.elpmaxe@example.com", "Ada", "L"), &e)
		_, err := authc.Register(context.Background(), request("ada\u202emoc.elpmaxe@example.com", "Ada", "L"))
		checkRefused(t, "INVALID_EMAIL", "email", "must not contain invisible or direction-changing characters (U+202E)", code, e, err)
	})
	if after := tableDigests(t, url); !maps.Equal(before, after) {
		t.Errorf("refused sign-ups changed the database:\nbefore %v\nafter  %v", before, after)
	}

	for _, name := range readableNames {
		var reg servertest.Session
		if code, _ := s.Call(t, http.MethodPost, "/api/v1/auth/register", "", body(servertest.NewEmail("readable"), name, name), &reg); code != http.StatusOK ||
			reg.User["first_name"] != name || reg.User["last_name"] != name {
			t.Errorf("REST sign-up as %q: %d %v", name, code, reg.User)
		}
		if got, err := authc.Register(context.Background(), request(servertest.NewEmail("readable"), name, name)); err != nil || got.User.FirstName != name || got.User.LastName != name {
			t.Errorf("gRPC sign-up as %q: %v %v", name, got.GetUser(), err)
		}
	}
}

func TestUpdateMeRefusesUnreadableText(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := servertest.Start(t, servertest.Config(url))
	users := hmbv1.NewUserServiceClient(s.Conn)
	me := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	ctx := servertest.WithToken(me.AccessToken)

	before := tableDigests(t, url)
	for _, tc := range unreadable {
		for _, f := range []textField[*hmbv1.User]{
			{"first_name", "user.first_name", "INVALID_USER_FIRST_NAME", func(u *hmbv1.User, v string) { u.FirstName = v }},
			{"last_name", "user.last_name", "INVALID_USER_LAST_NAME", func(u *hmbv1.User, v string) { u.LastName = v }},
			{"headline", "user.headline", "INVALID_USER_HEADLINE", func(u *hmbv1.User, v string) { u.Headline = v }},
			{"company_name", "user.company_name", "INVALID_USER_COMPANY_NAME", func(u *hmbv1.User, v string) { u.CompanyName = v }},
			{"skills", "user.skills[1]", "INVALID_USER_SKILLS", func(u *hmbv1.User, v string) { u.Skills = []string{"Go", v} }},
		} {
			t.Run(tc.name+"/"+f.key, func(t *testing.T) {
				var e servertest.RestError
				code, _ := s.Call(t, http.MethodPatch, "/api/v1/users/me", me.AccessToken, map[string]any{f.key: restValue(f.key, tc.value)}, &e)
				u := &hmbv1.User{}
				f.set(u, tc.value)
				_, err := users.UpdateMe(ctx, &hmbv1.UpdateMeRequest{User: u, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{f.key}}})
				checkRefused(t, f.reason, f.field, tc.want, code, e, err)
			})
		}
	}
	t.Run("bio with a right-to-left override", func(t *testing.T) {
		var e servertest.RestError
		code, _ := s.Call(t, http.MethodPatch, "/api/v1/users/me", me.AccessToken, map[string]any{"bio": "Ten years\u202e in resorts"}, &e)
		_, err := users.UpdateMe(ctx, &hmbv1.UpdateMeRequest{User: &hmbv1.User{Bio: "Ten years\u202e in resorts"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"bio"}}})
		checkRefused(t, "INVALID_USER_BIO", "user.bio", "must not contain direction-changing characters (U+202E)", code, e, err)
	})
	if after := tableDigests(t, url); !maps.Equal(before, after) {
		t.Errorf("refused updates changed the database:\nbefore %v\nafter  %v", before, after)
	}

	var got map[string]any
	code, _ := s.Call(t, http.MethodPatch, "/api/v1/users/me", me.AccessToken, map[string]any{
		"first_name": "Jean-Baptiste", "last_name": "O'Brien", "headline": "Chef 👩‍🍳 at Graycliff 🇧🇸", "company_name": "Café Wòch",
		"skills": []string{"Kreyòl ayisyen", "日本語", "Bartending 🍹"}, "bio": "Line one\nLine two\twith a tab",
	}, &got)
	if code != http.StatusOK || got["headline"] != "Chef 👩‍🍳 at Graycliff 🇧🇸" || got["last_name"] != "O'Brien" || got["bio"] != "Line one\nLine two\twith a tab" {
		t.Errorf("REST update with ordinary text: %d %v", code, got)
	}
	u, err := users.UpdateMe(ctx, &hmbv1.UpdateMeRequest{
		User:       &hmbv1.User{FirstName: "Wòch", LastName: "Muñoz", Headline: "Front desk 👋🏽 ❤️", CompanyName: "王小明 Ltd.", Skills: []string{"Español"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"first_name", "last_name", "headline", "company_name", "skills"}},
	})
	if err != nil || u.FirstName != "Wòch" || u.Headline != "Front desk 👋🏽 ❤️" || u.CompanyName != "王小明 Ltd." || !slices.Equal(u.Skills, []string{"Español"}) {
		t.Errorf("gRPC update with ordinary text: %v %v", u, err)
	}
}

func TestJobsRefuseUnreadableText(t *testing.T) {
	t.Parallel()
	b := servertest.NewBoard(t)
	ctx := servertest.WithToken(b.Employer.AccessToken)
	restJob := func() map[string]any {
		return map[string]any{"title": "Chef", "description": "Cook.", "category": "JOB_CATEGORY_HOSPITALITY", "company": "Graycliff",
			"employment_type": "EMPLOYMENT_TYPE_FULL_TIME", "island": "ISLAND_NEW_PROVIDENCE"}
	}
	grpcJob := func() *hmbv1.Job {
		return &hmbv1.Job{Title: "Chef", Description: "Cook.", Company: "Graycliff", Category: hmbv1.JobCategory_JOB_CATEGORY_HOSPITALITY,
			EmploymentType: hmbv1.EmploymentType_EMPLOYMENT_TYPE_FULL_TIME, Island: hmbv1.Island_ISLAND_NEW_PROVIDENCE}
	}
	open := b.Post(t, &hmbv1.Job{Title: "Line Cook"})

	before := tableDigests(t, b.URL)
	for _, tc := range unreadable {
		for _, f := range []textField[*hmbv1.Job]{
			{"title", "job.title", "INVALID_JOB_TITLE", func(j *hmbv1.Job, v string) { j.Title = v }},
			{"company", "job.company", "INVALID_JOB_COMPANY", func(j *hmbv1.Job, v string) { j.Company = v }},
			{"location", "job.location", "INVALID_JOB_LOCATION", func(j *hmbv1.Job, v string) { j.Location = v }},
			{"skills", "job.skills[1]", "INVALID_JOB_SKILLS", func(j *hmbv1.Job, v string) { j.Skills = []string{"Go", v} }},
		} {
			t.Run(tc.name+"/"+f.key, func(t *testing.T) {
				body := restJob()
				body[f.key] = restValue(f.key, tc.value)
				var e servertest.RestError
				code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs", b.Employer.AccessToken, body, &e)
				j := grpcJob()
				f.set(j, tc.value)
				_, err := b.Jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: j})
				checkRefused(t, f.reason, f.field, tc.want, code, e, err)
			})
		}
	}
	// Free text may span lines, but not display out of order.
	for _, f := range []textField[*hmbv1.Job]{
		{"description", "job.description", "INVALID_JOB_DESCRIPTION", func(j *hmbv1.Job, v string) { j.Description = v }},
		{"requirements", "job.requirements", "INVALID_JOB_REQUIREMENTS", func(j *hmbv1.Job, v string) { j.Requirements = v }},
		{"benefits", "job.benefits", "INVALID_JOB_BENEFITS", func(j *hmbv1.Job, v string) { j.Benefits = v }},
	} {
		t.Run("isolate in "+f.key, func(t *testing.T) {
			const text = "Pay: \u2067$100\u2069 a night"
			body := restJob()
			body[f.key] = text
			var e servertest.RestError
			code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs", b.Employer.AccessToken, body, &e)
			j := grpcJob()
			f.set(j, text)
			_, err := b.Jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: j})
			checkRefused(t, f.reason, f.field, "must not contain direction-changing characters (U+2067)", code, e, err)
		})
	}
	t.Run("update with a zero-width title", func(t *testing.T) {
		var e servertest.RestError
		code, _ := b.Call(t, http.MethodPatch, "/api/v1/jobs/"+open.Id, b.Employer.AccessToken, map[string]any{"title": "Line\u200bCook"}, &e)
		_, err := b.Jobs.UpdateJob(ctx, &hmbv1.UpdateJobRequest{Job: &hmbv1.Job{Id: open.Id, Title: "Line\u200bCook"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
		checkRefused(t, "INVALID_JOB_TITLE", "job.title", "(U+200B)", code, e, err)
	})
	t.Run("cover letter with a right-to-left override", func(t *testing.T) {
		var e servertest.RestError
		code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs/"+open.Id+"/applications", b.Seeker.AccessToken, map[string]any{"cover_letter": "Hire me\u202e"}, &e)
		_, err := b.Jobs.ApplyToJob(servertest.WithToken(b.Seeker.AccessToken), &hmbv1.ApplyToJobRequest{JobId: open.Id, CoverLetter: "Hire me\u202e"})
		checkRefused(t, "INVALID_COVER_LETTER", "cover_letter", "(U+202E)", code, e, err)
	})
	if after := tableDigests(t, b.URL); !maps.Equal(before, after) {
		t.Errorf("refused jobs changed the database:\nbefore %v\nafter  %v", before, after)
	}

	body := restJob()
	body["title"], body["company"], body["location"] = "Chef 👩‍🍳 de partie", "Café Wòch", "Marsh Harbour"
	body["skills"], body["description"] = []string{"Kreyòl ayisyen", "日本語"}, "Line one\n\tLine two\u200b"
	var got map[string]any
	if code, _ := b.Call(t, http.MethodPost, "/api/v1/jobs", b.Employer.AccessToken, body, &got); code != http.StatusOK ||
		got["title"] != "Chef 👩‍🍳 de partie" || got["description"] != "Line one\n\tLine two\u200b" {
		t.Errorf("REST job with ordinary text: %d %v", code, got)
	}
	j := grpcJob()
	j.Title, j.Company, j.Skills = "Sous-chef ❤️ Jean-Baptiste's", "O'Brien & Fils", []string{"Español"}
	if created, err := b.Jobs.CreateJob(ctx, &hmbv1.CreateJobRequest{Job: j}); err != nil || created.Title != j.Title || created.Company != j.Company {
		t.Errorf("gRPC job with ordinary text: %v %v", created, err)
	}
	if a, err := b.Jobs.ApplyToJob(servertest.WithToken(b.Seeker.AccessToken), &hmbv1.ApplyToJobRequest{JobId: open.Id, CoverLetter: "Bonjou!\n\nMwen se yon kizinye."}); err != nil ||
		a.CoverLetter != "Bonjou!\n\nMwen se yon kizinye." {
		t.Errorf("apply with a letter of several lines: %v %v", a, err)
	}
}
