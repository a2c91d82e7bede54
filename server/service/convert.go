package service

import (
	"strings"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/hiremebahamas/api/domain"
	hmbv1 "github.com/hiremebahamas/api/gen/hiremebahamas/v1"
)

// Enums are stored by name without their proto prefix: ROLE_EMPLOYER is
// stored as EMPLOYER, ISLAND_NEW_PROVIDENCE as NEW_PROVIDENCE. Every enum
// converts through enumName and enumValue.

// enum is a generated proto enum type.
type enum interface {
	~int32
	String() string
}

// enumName is how e is stored: its name without prefix; the zero value
// (*_UNSPECIFIED) is "".
func enumName[E enum](e E, prefix string) string {
	if e == 0 {
		return ""
	}
	return strings.TrimPrefix(e.String(), prefix)
}

// enumValue is the value of a stored name, given the generated name → value
// map; "" and names it does not know are the zero value.
func enumValue[E enum](values map[string]int32, prefix, name string) E {
	if name == "" {
		return 0
	}
	return E(values[prefix+name])
}

func roleToProto(r domain.Role) hmbv1.Role {
	return enumValue[hmbv1.Role](hmbv1.Role_value, "ROLE_", string(r))
}

func roleFromProto(r hmbv1.Role) domain.Role { return domain.Role(enumName(r, "ROLE_")) }

func islandToProto(name string) hmbv1.Island {
	return enumValue[hmbv1.Island](hmbv1.Island_value, "ISLAND_", name)
}

func islandFromProto(i hmbv1.Island) string { return enumName(i, "ISLAND_") }

func categoryName(c hmbv1.JobCategory) string { return enumName(c, "JOB_CATEGORY_") }

func employmentName(e hmbv1.EmploymentType) string { return enumName(e, "EMPLOYMENT_TYPE_") }

func jobStatusName(s hmbv1.JobStatus) string { return enumName(s, "JOB_STATUS_") }

func periodName(p hmbv1.SalaryPeriod) string { return enumName(p, "SALARY_PERIOD_") }

func appStatusName(s hmbv1.ApplicationStatus) string { return enumName(s, "APPLICATION_STATUS_") }

// userView says how much of a user the caller may see.
type userView int

const (
	publicView  userView = iota // profile only
	privateView                 // the user themself or an admin: email, phone, verification, status too
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
		p.EmailVerified = u.EmailVerified
	}
	return p
}
