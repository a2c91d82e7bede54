package service_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/internal/pgtest"
	"github.com/hiremebahamas/api/server/internal/servertest"
)

func TestProfiles(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	users := hmbv1.NewUserServiceClient(s.Conn)
	seeker := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	other := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)

	// REST PATCH without a mask changes the fields in the body.
	var me map[string]any
	code, _ := s.Call(t, http.MethodPatch, "/api/v1/users/me", seeker.AccessToken, map[string]any{
		"headline": "Front desk supervisor", "skills": []string{"Hospitality", "Opera PMS"}, "phone": "+1 242 555 0100",
		"location": "ISLAND_GRAND_BAHAMA", "available_for_hire": true,
	}, &me)
	if code != http.StatusOK || me["headline"] != "Front desk supervisor" || me["phone"] != "+1 242 555 0100" ||
		me["location"] != "ISLAND_GRAND_BAHAMA" || me["available_for_hire"] != true || me["first_name"] != "Test" {
		t.Fatalf("PATCH /users/me: %d %v", code, me)
	}
	// gRPC with an explicit mask changes only the masked field.
	got, err := users.UpdateMe(servertest.WithToken(seeker.AccessToken), &hmbv1.UpdateMeRequest{
		User:       &hmbv1.User{Bio: "Ten years in resorts.", Headline: "ignored: not in the mask"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"bio"}},
	})
	if err != nil || got.Bio != "Ten years in resorts." || got.Headline != "Front desk supervisor" {
		t.Errorf("UpdateMe(bio): %v %v", got, err)
	}

	for _, tc := range []struct {
		name     string
		body     map[string]any
		mask     string
		wantText string
	}{
		{"email is not changeable", map[string]any{"email": "x@example.com"}, "", "email"},
		{"role is not changeable", map[string]any{"role": "ROLE_ADMIN"}, "", "role"},
		{"unknown field in mask", map[string]any{"headline": "x"}, "?update_mask=salary", "salary"},
		{"overlong headline", map[string]any{"headline": strings.Repeat("h", 201)}, "", "headline"},
		{"too many skills", map[string]any{"skills": make([]string, 51)}, "", "skills"},
		{"avatar not https", map[string]any{"avatar_url": "javascript:alert(1)"}, "", "avatar_url"},
		{"empty first name", map[string]any{"first_name": ""}, "?update_mask=first_name", "first_name"},
		{"unknown island", map[string]any{"location": "ISLAND_ATLANTIS"}, "", "location"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var e servertest.RestError
			code, _ := s.Call(t, http.MethodPatch, "/api/v1/users/me"+tc.mask, seeker.AccessToken, tc.body, &e)
			if code != http.StatusBadRequest || !strings.Contains(e.Error.Message, tc.wantText) {
				t.Errorf("%d %+v; want 400 naming %s", code, e.Error, tc.wantText)
			}
		})
	}
	var restMe map[string]any
	if code, _ := s.Call(t, http.MethodGet, "/api/v1/users/me", seeker.AccessToken, nil, &restMe); code != http.StatusOK ||
		restMe["email"] != seeker.User.Email || restMe["phone"] != "+1 242 555 0100" {
		t.Errorf("GET /users/me: %d %v", code, restMe)
	}
	after, err := users.GetMe(servertest.WithToken(seeker.AccessToken), &hmbv1.GetMeRequest{})
	if err != nil || after.Email != seeker.User.Email || after.Role != hmbv1.Role_ROLE_JOB_SEEKER || after.Headline != "Front desk supervisor" || after.FirstName != "Test" {
		t.Errorf("refused updates changed something: %v %v", after, err)
	}

	// Public profile: no email or phone, to anyone or to another user.
	for name, token := range map[string]string{"anonymous": "", "another user": other.AccessToken} {
		var pub map[string]any
		code, _ := s.Call(t, http.MethodGet, "/api/v1/users/"+seeker.User.Id, token, nil, &pub)
		if code != http.StatusOK || pub["email"] != "" || pub["phone"] != "" || pub["headline"] != "Front desk supervisor" {
			t.Errorf("%s sees %d %v", name, code, pub)
		}
	}
	self, err := users.GetUser(servertest.WithToken(seeker.AccessToken), &hmbv1.GetUserRequest{Id: seeker.User.Id})
	if err != nil || self.Email == "" || self.Phone == "" {
		t.Errorf("the user sees their own profile without private fields: %v %v", self, err)
	}
	for _, id := range []string{"not-a-uuid", "00000000-0000-4000-8000-000000000000"} {
		var e servertest.RestError
		code, _ := s.Call(t, http.MethodGet, "/api/v1/users/"+id, "", nil, &e)
		if code != http.StatusBadRequest && code != http.StatusNotFound {
			t.Errorf("GET /users/%s: %d", id, code)
		}
	}

	// DeleteMe deactivates: the profile disappears, sessions end, sign-in fails.
	if code, _ := s.Call(t, http.MethodDelete, "/api/v1/users/me", seeker.AccessToken, nil, nil); code != http.StatusOK {
		t.Fatalf("DELETE /users/me: %d", code)
	}
	if _, err := users.GetUser(context.Background(), &hmbv1.GetUserRequest{Id: seeker.User.Id}); status.Code(err) != codes.NotFound {
		t.Errorf("a deactivated profile: %v", err)
	}
	if _, err := hmbv1.NewAuthServiceClient(s.Conn).Refresh(context.Background(), &hmbv1.RefreshRequest{RefreshToken: seeker.RefreshToken}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("refresh after DeleteMe: %v", err)
	}
	if _, err := users.GetMe(servertest.WithToken(seeker.AccessToken), &hmbv1.GetMeRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("GetMe with a deactivated account's live token: %v", err)
	}
}

// Roles are enforced from one policy, identically over both transports.
func TestRolePolicy(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := servertest.Start(t, servertest.Config(url))
	seeker := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	admin := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	servertest.Promote(t, url, admin.User.Id)
	adminSession, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: admin.User.Email, Password: servertest.Password})
	if err != nil {
		t.Fatal(err)
	}
	target := seeker.User.Id

	for _, tc := range []struct {
		name, method, path string
		token              string
		want               int
	}{
		{"talent search anonymous", http.MethodGet, "/api/v1/users", "", 401},
		{"talent search by a seeker", http.MethodGet, "/api/v1/users", seeker.AccessToken, 403},
		{"talent search by an employer", http.MethodGet, "/api/v1/users", employer.AccessToken, 200},
		{"talent search by an admin", http.MethodGet, "/api/v1/users", adminSession.AccessToken, 200},
		{"deactivate by an employer", http.MethodPost, "/api/v1/users/" + target + ":deactivate", employer.AccessToken, 403},
		{"set role by a seeker", http.MethodPost, "/api/v1/users/" + target + ":setRole", seeker.AccessToken, 403},
		{"me anonymous", http.MethodGet, "/api/v1/users/me", "", 401},
	} {
		var body any
		if strings.HasSuffix(tc.path, ":setRole") {
			body = map[string]any{"role": "ROLE_EMPLOYER"}
		} else if tc.method == http.MethodPost {
			body = map[string]any{}
		}
		if code, _ := s.Call(t, tc.method, tc.path, tc.token, body, nil); code != tc.want {
			t.Errorf("%s: %d; want %d", tc.name, code, tc.want)
		}
	}
	users := hmbv1.NewUserServiceClient(s.Conn)
	if _, err := users.ListUsers(servertest.WithToken(seeker.AccessToken), &hmbv1.ListUsersRequest{}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("gRPC talent search by a seeker: %v", err)
	}

	// Admins deactivate, reactivate and change roles.
	adminCtx := servertest.WithToken(adminSession.AccessToken)
	if u, err := users.DeactivateUser(adminCtx, &hmbv1.DeactivateUserRequest{Id: target}); err != nil || u.Active {
		t.Errorf("DeactivateUser: %v %v", u, err)
	}
	if _, err := hmbv1.NewAuthServiceClient(s.Conn).Login(context.Background(), &hmbv1.LoginRequest{Email: seeker.User.Email, Password: servertest.Password}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("a deactivated user signs in: %v", err)
	}
	if u, err := users.ReactivateUser(adminCtx, &hmbv1.ReactivateUserRequest{Id: target}); err != nil || !u.Active {
		t.Errorf("ReactivateUser: %v %v", u, err)
	}
	var changed map[string]any
	if code, _ := s.Call(t, http.MethodPost, "/api/v1/users/"+target+":setRole", adminSession.AccessToken, map[string]any{"role": "ROLE_EMPLOYER"}, &changed); code != 200 || changed["role"] != "ROLE_EMPLOYER" {
		t.Errorf("setRole over REST: %d %v", code, changed)
	}
	if _, err := users.SetUserRole(adminCtx, &hmbv1.SetUserRoleRequest{Id: target, Role: hmbv1.Role_ROLE_UNSPECIFIED}); status.Code(err) != codes.InvalidArgument {
		t.Errorf("SetUserRole to UNSPECIFIED: %v", err)
	}
}

func TestTalentSearch(t *testing.T) {
	t.Parallel()
	s := servertest.Start(t, servertest.Config(pgtest.NewDatabase(t)))
	employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	users := hmbv1.NewUserServiceClient(s.Conn)
	profiles := []*hmbv1.User{
		{Headline: "Bartender at a Cable Beach resort", Skills: []string{"Bartending", "Mixology"}, Location: hmbv1.Island_ISLAND_NEW_PROVIDENCE, AvailableForHire: true, Phone: "+12425550101"},
		{Headline: "Dive instructor", Skills: []string{"PADI", "Boat handling"}, Location: hmbv1.Island_ISLAND_EXUMA, AvailableForHire: true},
		{Headline: "Hotel night auditor", Skills: []string{"Accounting", "bartending"}, Location: hmbv1.Island_ISLAND_GRAND_BAHAMA},
	}
	var ids []string
	for _, p := range profiles {
		u := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
		if _, err := users.UpdateMe(servertest.WithToken(u.AccessToken), &hmbv1.UpdateMeRequest{User: p,
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"headline", "skills", "location", "available_for_hire", "phone"}}}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, u.User.Id)
	}
	ctx := servertest.WithToken(employer.AccessToken)
	search := func(req *hmbv1.ListUsersRequest) []string {
		t.Helper()
		resp, err := users.ListUsers(ctx, req)
		if err != nil {
			t.Fatalf("ListUsers(%v): %v", req, err)
		}
		var got []string
		for _, u := range resp.Users {
			if u.Email != "" || u.Phone != "" {
				t.Errorf("talent search exposes private fields: %v", u)
			}
			got = append(got, u.Id)
		}
		return got
	}
	yes := true
	for _, tc := range []struct {
		name string
		req  *hmbv1.ListUsersRequest
		want []string
	}{
		{"words", &hmbv1.ListUsersRequest{Q: "bartender resort"}, []string{ids[0]}},
		{"skill, any case", &hmbv1.ListUsersRequest{Skill: "BARTENDING"}, []string{ids[2], ids[0]}},
		{"island", &hmbv1.ListUsersRequest{Location: hmbv1.Island_ISLAND_EXUMA}, []string{ids[1]}},
		{"available", &hmbv1.ListUsersRequest{AvailableForHire: &yes, Q: "instructor"}, []string{ids[1]}},
	} {
		if got := search(tc.req); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s: %v; want %v", tc.name, got, tc.want)
		}
	}

	// Pages of one, newest first, cover everyone exactly once.
	var seen []string
	token := ""
	for {
		resp, err := users.ListUsers(ctx, &hmbv1.ListUsersRequest{PageSize: 1, PageToken: token, Skill: "bartending"})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range resp.Users {
			seen = append(seen, u.Id)
		}
		if token = resp.NextPageToken; token == "" {
			break
		}
		// A token used with other filters, or tampered with, is refused.
		if _, err := users.ListUsers(ctx, &hmbv1.ListUsersRequest{PageSize: 1, PageToken: token, Skill: "padi"}); status.Code(err) != codes.InvalidArgument {
			t.Errorf("page token with other filters: %v", err)
		}
		var e servertest.RestError
		if code, _ := s.Call(t, http.MethodGet, "/api/v1/users?skill=bartending&page_token=x"+token, employer.AccessToken, nil, &e); code != http.StatusBadRequest {
			t.Errorf("tampered page token: %d", code)
		}
	}
	if strings.Join(seen, ",") != ids[2]+","+ids[0] {
		t.Errorf("paged: %v", seen)
	}
	for _, q := range []string{"page_size=-1", "page_size=101", "page_size=abc"} {
		if code, _ := s.Call(t, http.MethodGet, "/api/v1/users?"+q, employer.AccessToken, nil, nil); code != http.StatusBadRequest {
			t.Errorf("%s: %d; want 400", q, code)
		}
	}
}

// Admin accounts are staff: talent search lists them to admins only, page
// after full page, and their profiles are as unknown to everyone else as an
// id that does not exist.
func TestAdminsAreNotTalent(t *testing.T) {
	t.Parallel()
	url := pgtest.NewDatabase(t)
	s := servertest.Start(t, servertest.Config(url))
	users := hmbv1.NewUserServiceClient(s.Conn)
	authc := hmbv1.NewAuthServiceClient(s.Conn)
	newAdmin := func() (string, string) {
		t.Helper()
		u := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
		servertest.Promote(t, url, u.User.Id)
		login, err := authc.Login(context.Background(), &hmbv1.LoginRequest{Email: u.User.Email, Password: servertest.Password})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := users.UpdateMe(servertest.WithToken(login.AccessToken), &hmbv1.UpdateMeRequest{User: &hmbv1.User{Headline: "Dockmaster"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"headline"}}}); err != nil {
			t.Fatal(err)
		}
		return u.User.Id, login.AccessToken
	}
	// Newest first: seeker2, admin2, seeker1, admin1, employer.
	employer := s.Register(t, hmbv1.Role_ROLE_EMPLOYER)
	admin1, admin1Token := newAdmin()
	seeker1 := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)
	admin2, admin2Token := newAdmin()
	seeker2 := s.Register(t, hmbv1.Role_ROLE_JOB_SEEKER)

	// pagesGRPC and pagesREST page through a search one page_size at a
	// time, checking that every page but the last is full.
	pagesGRPC := func(token string, req *hmbv1.ListUsersRequest) []string {
		t.Helper()
		var ids []string
		for {
			resp, err := users.ListUsers(servertest.WithToken(token), req)
			if err != nil {
				t.Fatalf("ListUsers(%v): %v", req, err)
			}
			for _, u := range resp.Users {
				ids = append(ids, u.Id)
			}
			if req.PageToken = resp.NextPageToken; req.PageToken == "" {
				return ids
			}
			if len(resp.Users) != int(req.PageSize) {
				t.Errorf("a page of %d users before the last; want %d", len(resp.Users), req.PageSize)
			}
		}
	}
	pagesREST := func(token, query string, size int) []string {
		t.Helper()
		var ids []string
		next := ""
		for {
			var page struct {
				Users []struct {
					ID string `json:"id"`
				} `json:"users"`
				Next string `json:"next_page_token"`
			}
			path := "/api/v1/users?page_size=" + strconv.Itoa(size) + query + "&page_token=" + next
			if code, _ := s.Call(t, http.MethodGet, path, token, nil, &page); code != http.StatusOK {
				t.Fatalf("GET %s: %d", path, code)
			}
			for _, u := range page.Users {
				ids = append(ids, u.ID)
			}
			if next = page.Next; next == "" {
				return ids
			}
			if len(page.Users) != size {
				t.Errorf("a page of %d users before the last; want %d", len(page.Users), size)
			}
		}
	}
	talent := []string{seeker2.User.Id, seeker1.User.Id, employer.User.Id}
	everyone := []string{seeker2.User.Id, admin2, seeker1.User.Id, admin1, employer.User.Id}
	for _, tc := range []struct {
		name, token string
		want        []string
	}{
		{"an employer", employer.AccessToken, talent},
		{"an admin", admin1Token, everyone},
	} {
		if got := pagesGRPC(tc.token, &hmbv1.ListUsersRequest{PageSize: 1}); !slices.Equal(got, tc.want) {
			t.Errorf("gRPC talent search by %s: %v; want %v", tc.name, got, tc.want)
		}
		if got := pagesREST(tc.token, "", 2); !slices.Equal(got, tc.want) {
			t.Errorf("REST talent search by %s: %v; want %v", tc.name, got, tc.want)
		}
	}
	if got := pagesGRPC(employer.AccessToken, &hmbv1.ListUsersRequest{Q: "dockmaster", PageSize: 1}); len(got) != 0 {
		t.Errorf("an employer's search for the admins' headline: %v; want none", got)
	}
	if got := pagesREST(admin2Token, "&q=dockmaster", 1); !slices.Equal(got, []string{admin2, admin1}) {
		t.Errorf("an admin's search for the admins' headline: %v; want both admins", got)
	}

	// An admin's profile answers as an unknown id does, over both transports.
	const unknown = "00000000-0000-4000-8000-000000000000"
	restAnswer := func(id, token string) (int, servertest.RestError) {
		var e servertest.RestError
		code, _ := s.Call(t, http.MethodGet, "/api/v1/users/"+id, token, nil, &e)
		e.Error.RequestID = ""
		return code, e
	}
	_, unknownREST := restAnswer(unknown, "")
	_, unknownGRPC := users.GetUser(context.Background(), &hmbv1.GetUserRequest{Id: unknown})
	for name, token := range map[string]string{"anonymous": "", "an employer": employer.AccessToken, "a job seeker": seeker1.AccessToken} {
		if code, e := restAnswer(admin1, token); code != http.StatusNotFound || e != unknownREST {
			t.Errorf("REST: %s reads an admin: %d %+v; want %+v as for an unknown id", name, code, e, unknownREST)
		}
		ctx := context.Background()
		if token != "" {
			ctx = servertest.WithToken(token)
		}
		_, err := users.GetUser(ctx, &hmbv1.GetUserRequest{Id: admin1})
		if status.Code(err) != codes.NotFound || servertest.Reason(err) != "USER_NOT_FOUND" || status.Convert(err).Message() != status.Convert(unknownGRPC).Message() {
			t.Errorf("gRPC: %s reads an admin: %v; want %v as for an unknown id", name, err, unknownGRPC)
		}
	}
	for name, token := range map[string]string{"the admin": admin1Token, "another admin": admin2Token} {
		if code, _ := restAnswer(admin1, token); code != http.StatusOK {
			t.Errorf("REST: %s reads the admin: %d", name, code)
		}
		if u, err := users.GetUser(servertest.WithToken(token), &hmbv1.GetUserRequest{Id: admin1}); err != nil || u.Role != hmbv1.Role_ROLE_ADMIN {
			t.Errorf("gRPC: %s reads the admin: %v %v", name, u, err)
		}
	}
}
