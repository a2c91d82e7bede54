package service

import (
	"context"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/server/rpc"
	"github.com/hiremebahamas/api/store"
)

// UserServer implements hiremebahamas.v1.UserService.
type UserServer struct {
	hmbv1.UnimplementedUserServiceServer
	store *store.Store
	links *auth.LinkSigner
}

var _ hmbv1.UserServiceServer = (*UserServer)(nil)

// NewUserServer returns the UserService of st; links verifies unsubscribe
// links.
func NewUserServer(st *store.Store, links *auth.LinkSigner) *UserServer {
	return &UserServer{store: st, links: links}
}

func (s *UserServer) GetUser(ctx context.Context, req *hmbv1.GetUserRequest) (*hmbv1.User, error) {
	u, err := s.store.GetUser(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	view := publicView
	if c, signedIn := auth.ClaimsFrom(ctx); signedIn && (c.UserID == u.ID || rpc.IsAdmin(c)) {
		// The token says so; the account must still say so too.
		if c, _, err = rpc.CurrentCaller(ctx, s.store); err != nil {
			return nil, err
		}
		if c.UserID == u.ID || rpc.IsAdmin(c) {
			view = privateView
		}
	}
	// Deactivated accounts are gone, and admins are staff rather than
	// profiles: to anyone else either looks like an id that does not exist.
	if view == publicView && (!u.Active || u.Role == domain.RoleAdmin) {
		return nil, domain.Errorf(domain.ErrNotFound, "USER_NOT_FOUND", "no such user")
	}
	return userToProto(u, view), nil
}

func (s *UserServer) GetMe(ctx context.Context, _ *hmbv1.GetMeRequest) (*hmbv1.User, error) {
	u, err := s.me(ctx)
	if err != nil {
		return nil, err
	}
	return userToProto(u, privateView), nil
}

// me is the signed-in user as stored now; a deactivated account whose
// access token has not yet expired is refused.
func (s *UserServer) me(ctx context.Context) (domain.User, error) {
	_, u, err := rpc.CurrentCaller(ctx, s.store)
	return u, err
}

// profileFields are the paths UpdateMe accepts; the read-only ones get a
// message of their own.
var (
	profileFields  = []string{"first_name", "last_name", "phone", "location", "headline", "company_name", "bio", "skills", "avatar_url", "available_for_hire"}
	readOnlyFields = map[string]string{
		"id": "id is assigned by the service", "email": "email cannot be changed here",
		"role": "role cannot be changed here", "password": "password is changed with ChangePassword",
		"active": "active is changed with DeleteMe or by an admin", "create_time": "create_time is set by the service",
		"update_time": "update_time is set by the service",
	}
)

func (s *UserServer) UpdateMe(ctx context.Context, req *hmbv1.UpdateMeRequest) (*hmbv1.User, error) {
	paths := req.GetUpdateMask().GetPaths()
	if len(paths) == 0 {
		return nil, invalidField("update_mask", "name at least one field to change")
	}
	for _, p := range paths {
		if msg, ok := readOnlyFields[p]; ok {
			return nil, invalidField("update_mask", msg)
		}
		if !slices.Contains(profileFields, p) {
			return nil, invalidField("update_mask", "unknown field "+quote(p)+"; changeable fields are "+strings.Join(profileFields, ", "))
		}
	}
	u, err := s.me(ctx)
	if err != nil {
		return nil, err
	}
	in, p := req.GetUser(), u.Profile
	for _, path := range paths {
		switch path {
		case "first_name":
			p.FirstName, err = parseName("user.first_name", in.GetFirstName())
		case "last_name":
			p.LastName, err = parseName("user.last_name", in.GetLastName())
		case "phone":
			p.Phone = in.GetPhone()
		case "location":
			p.Location = islandFromProto(in.GetLocation())
		case "headline":
			p.Headline = in.GetHeadline()
			err = checkLine("user.headline", p.Headline)
		case "company_name":
			p.CompanyName = in.GetCompanyName()
			err = checkLine("user.company_name", p.CompanyName)
		case "bio":
			p.Bio = in.GetBio()
			err = checkFreeText("user.bio", p.Bio)
		case "skills":
			p.Skills = in.GetSkills()
			err = checkLines("user.skills", p.Skills)
		case "avatar_url":
			p.AvatarURL = in.GetAvatarUrl()
		case "available_for_hire":
			p.AvailableForHire = in.GetAvailableForHire()
		}
		if err != nil {
			return nil, err
		}
	}
	updated, err := s.store.UpdateProfile(ctx, u.ID, p)
	if err != nil {
		return nil, err
	}
	return userToProto(updated, privateView), nil
}

func (s *UserServer) DeleteMe(ctx context.Context, _ *hmbv1.DeleteMeRequest) (*emptypb.Empty, error) {
	u, err := s.me(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.SetActive(ctx, u.ID, false); err != nil {
		return nil, err
	}
	return &emptypb.Empty{}, nil
}

func (s *UserServer) ListUsers(ctx context.Context, req *hmbv1.ListUsersRequest) (*hmbv1.ListUsersResponse, error) {
	c, _ := auth.ClaimsFrom(ctx)
	f := domain.UserFilter{
		Query:            strings.TrimSpace(req.GetQ()),
		Location:         islandFromProto(req.GetLocation()),
		Skill:            strings.TrimSpace(req.GetSkill()),
		AvailableForHire: req.AvailableForHire,
		WithAdmins:       rpc.IsAdmin(c),
	}
	p, err := newPage(req.GetPageToken(), req.GetPageSize(), f)
	if err != nil {
		return nil, err
	}
	users, err := s.store.ListUsers(ctx, f, p.timeCursor(), p.limit())
	if err != nil {
		return nil, err
	}
	resp := &hmbv1.ListUsersResponse{}
	users, resp.NextPageToken = pageOf(p, users, func(u domain.User) pageToken { return pageToken{Time: u.CreateTime, ID: u.ID} })
	resp.Users = make([]*hmbv1.User, 0, len(users))
	for _, u := range users {
		resp.Users = append(resp.Users, userToProto(u, publicView))
	}
	return resp, nil
}

func (s *UserServer) DeactivateUser(ctx context.Context, req *hmbv1.DeactivateUserRequest) (*hmbv1.User, error) {
	c, err := rpc.Caller(ctx)
	if err != nil {
		return nil, err
	}
	if c.UserID == req.GetId() {
		return nil, domain.Errorf(domain.ErrFailedPrecondition, "CANNOT_DEACTIVATE_SELF", "admins cannot deactivate themselves here; use DeleteMe")
	}
	u, err := s.store.SetActive(ctx, req.GetId(), false)
	if err != nil {
		return nil, err
	}
	return userToProto(u, privateView), nil
}

func (s *UserServer) ReactivateUser(ctx context.Context, req *hmbv1.ReactivateUserRequest) (*hmbv1.User, error) {
	u, err := s.store.SetActive(ctx, req.GetId(), true)
	if err != nil {
		return nil, err
	}
	return userToProto(u, privateView), nil
}

func (s *UserServer) SetUserRole(ctx context.Context, req *hmbv1.SetUserRoleRequest) (*hmbv1.User, error) {
	u, err := s.store.SetRole(ctx, req.GetId(), roleFromProto(req.GetRole()))
	if err != nil {
		return nil, err
	}
	return userToProto(u, privateView), nil
}

// invalidField is an INVALID_ARGUMENT naming the field at fault. The
// reason names a list, not the item: job.skills[2] is INVALID_JOB_SKILLS.
func invalidField(field, message string) error {
	name, _, _ := strings.Cut(field, "[")
	return &domain.Error{Kind: domain.ErrInvalid, Reason: "INVALID_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(name)), Message: field + ": " + message}
}

// parseName returns a first or last name as stored (domain.ParseName), or
// the field's INVALID_ARGUMENT.
func parseName(field, value string) (string, error) {
	name, err := domain.ParseName(value)
	if err != nil {
		return "", invalidField(field, err.Error())
	}
	return name, nil
}

// checkLine refuses a field of one line that people could not read as
// stored (domain.CheckLine).
func checkLine(field, value string) error {
	if err := domain.CheckLine(value); err != nil {
		return invalidField(field, err.Error())
	}
	return nil
}

// checkLines is checkLine for each item of a list.
func checkLines(field string, values []string) error {
	for i, v := range values {
		if err := checkLine(field+"["+strconv.Itoa(i)+"]", v); err != nil {
			return err
		}
	}
	return nil
}

// checkFreeText refuses free text that would display in another order than it
// reads (domain.CheckText).
func checkFreeText(field, value string) error {
	if err := domain.CheckText(value); err != nil {
		return invalidField(field, err.Error())
	}
	return nil
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
