package domain

import (
	"errors"
	"strings"
	"time"
)

// Role decides what an account may do. Stored as its name.
type Role string

const (
	RoleJobSeeker Role = "JOB_SEEKER"
	RoleEmployer  Role = "EMPLOYER"
	RoleAdmin     Role = "ADMIN"
)

// ParseRole reads a role by its name, in any case, with or without its
// proto prefix (ROLE_EMPLOYER, employer); SEEKER is short for JOB_SEEKER.
func ParseRole(s string) (Role, bool) {
	name := strings.TrimPrefix(strings.ToUpper(strings.TrimSpace(s)), "ROLE_")
	switch r := Role(name); r {
	case RoleJobSeeker, RoleEmployer, RoleAdmin:
		return r, true
	case "SEEKER":
		return RoleJobSeeker, true
	}
	return "", false
}

// User is an account and its profile.
type User struct {
	ID     string
	Email  string
	Role   Role
	Active bool
	// EmailVerified is true once the owner followed a link mailed to Email.
	EmailVerified bool
	CreateTime    time.Time
	UpdateTime    time.Time
	Profile
}

// Profile is the part of a user that the user edits.
type Profile struct {
	FirstName        string
	LastName         string
	Phone            string
	Location         string // an island's name, e.g. NEW_PROVIDENCE; "" if unset
	Headline         string
	CompanyName      string
	Bio              string
	Skills           []string
	AvatarURL        string
	AvailableForHire bool
}

// UserFilter narrows talent search. Empty fields do not filter, except that
// admin accounts are left out unless WithAdmins is set.
type UserFilter struct {
	Query            string
	Location         string
	Skill            string
	AvailableForHire *bool
	WithAdmins       bool
}

// ParseName returns the stored form of a first or last name, trimmed, or why
// it cannot be one: a name is required and is one line of visible text.
func ParseName(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("cannot be blank")
	}
	if err := CheckLine(s); err != nil {
		return "", err
	}
	return s, nil
}
