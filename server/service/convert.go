package server

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// Enums are stored by name without their proto prefix: ROLE_EMPLOYER is
// stored as EMPLOYER, ISLAND_NEW_PROVIDENCE as NEW_PROVIDENCE.

func roleToProto(r domain.Role) hmbv1.Role {
	return hmbv1.Role(hmbv1.Role_value["ROLE_"+string(r)])
}

func roleFromProto(r hmbv1.Role) domain.Role {
	if r == hmbv1.Role_ROLE_UNSPECIFIED {
		return ""
	}
	return domain.Role(strings.TrimPrefix(r.String(), "ROLE_"))
}

func islandToProto(name string) hmbv1.Island {
	if name == "" {
		return hmbv1.Island_ISLAND_UNSPECIFIED
	}
	return hmbv1.Island(hmbv1.Island_value["ISLAND_"+name])
}

func islandFromProto(i hmbv1.Island) string {
	if i == hmbv1.Island_ISLAND_UNSPECIFIED {
		return ""
	}
	return strings.TrimPrefix(i.String(), "ISLAND_")
}

// userView says how much of a user the caller may see.
type userView int

const (
	publicView  userView = iota // profile only
	privateView                 // the user themself or an admin: email, phone, status too
)

func userToProto(u domain.User, view userView) *hmbv1.User {
	p := &hmbv1.User{
		Id:               u.ID,
		Role:             roleToProto(u.Role),
		FirstName:        u.FirstName,
		LastName:         u.LastName,
		Location:         islandToProto(u.Location),
		Headline:         u.Headline,
		CompanyName:      u.CompanyName,
		Bio:              u.Bio,
		Skills:           u.Skills,
		AvatarUrl:        u.AvatarURL,
		AvailableForHire: u.AvailableForHire,
		Active:           u.Active,
		CreateTime:       timestamppb.New(u.CreateTime),
		UpdateTime:       timestamppb.New(u.UpdateTime),
	}
	if p.Skills == nil {
		p.Skills = []string{}
	}
	if view == privateView {
		p.Email = u.Email
		p.Phone = u.Phone
	}
	return p
}
