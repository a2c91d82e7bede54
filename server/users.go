package server

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/hiremebahamas/api/auth"
	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
	"github.com/hiremebahamas/api/store"
)

// UserServer implements hiremebahamas.v1.UserService.
type UserServer struct {
	hmbv1.UnimplementedUserServiceServer
	store *store.Store
}

var _ hmbv1.UserServiceServer = (*UserServer)(nil)

func (s *UserServer) GetUser(ctx context.Context, req *hmbv1.GetUserRequest) (*hmbv1.User, error) {
	u, err := s.store.GetUser(ctx, req.GetId())
	if err != nil {
		return nil, err
	}
	view := publicView
	if c, signedIn := auth.ClaimsFrom(ctx); signedIn && (c.UserID == u.ID || domain.Role(c.Role) == domain.RoleAdmin) {
		// The token says so; the account must still say so too.
		if c, _, err = currentCaller(ctx, s.store); err != nil {
			return nil, err
		}
		if c.UserID == u.ID || domain.Role(c.Role) == domain.RoleAdmin {
			view = privateView
		}
	}
	if !u.Active && view == publicView {
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
	_, u, err := currentCaller(ctx, s.store)
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
			p.FirstName = strings.TrimSpace(in.GetFirstName())
			if p.FirstName == "" {
				return nil, invalidField("user.first_name", "first_name cannot be empty")
			}
		case "last_name":
			p.LastName = strings.TrimSpace(in.GetLastName())
			if p.LastName == "" {
				return nil, invalidField("user.last_name", "last_name cannot be empty")
			}
		case "phone":
			p.Phone = in.GetPhone()
		case "location":
			p.Location = islandFromProto(in.GetLocation())
		case "headline":
			p.Headline = in.GetHeadline()
		case "company_name":
			p.CompanyName = in.GetCompanyName()
		case "bio":
			p.Bio = in.GetBio()
		case "skills":
			p.Skills = in.GetSkills()
		case "avatar_url":
			p.AvatarURL = in.GetAvatarUrl()
		case "available_for_hire":
			p.AvailableForHire = in.GetAvailableForHire()
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

const (
	defaultPageSize = 20
	maxPageSize     = 100
)

func (s *UserServer) ListUsers(ctx context.Context, req *hmbv1.ListUsersRequest) (*hmbv1.ListUsersResponse, error) {
	f := domain.UserFilter{
		Query:            strings.TrimSpace(req.GetQ()),
		Location:         islandFromProto(req.GetLocation()),
		Skill:            strings.TrimSpace(req.GetSkill()),
		AvailableForHire: req.AvailableForHire,
	}
	size := pageSize(req.GetPageSize())
	var after *domain.PageCursor
	if req.GetPageToken() != "" {
		t, err := decodePageToken(req.GetPageToken(), f)
		if err != nil {
			return nil, err
		}
		after = &domain.PageCursor{Time: t.Time, ID: t.ID}
	}
	users, err := s.store.ListUsers(ctx, f, after, size+1)
	if err != nil {
		return nil, err
	}
	resp := &hmbv1.ListUsersResponse{Users: make([]*hmbv1.User, 0, len(users))}
	if len(users) > size {
		users = users[:size]
		last := users[size-1]
		resp.NextPageToken = pageToken{Time: last.CreateTime, ID: last.ID, Query: queryDigest(f)}.encode()
	}
	for _, u := range users {
		resp.Users = append(resp.Users, userToProto(u, publicView))
	}
	return resp, nil
}

func (s *UserServer) DeactivateUser(ctx context.Context, req *hmbv1.DeactivateUserRequest) (*hmbv1.User, error) {
	c, err := caller(ctx)
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

// invalidField is an INVALID_ARGUMENT naming the field at fault.
func invalidField(field, message string) error {
	return &domain.Error{Kind: domain.ErrInvalid, Reason: "INVALID_" + strings.ToUpper(strings.NewReplacer(".", "_").Replace(field)), Message: field + ": " + message}
}

func quote(s string) string {
	if len(s) > 64 {
		s = s[:64] + "…"
	}
	return `"` + s + `"`
}
