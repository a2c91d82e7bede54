package domain

import "time"

// Role decides what an account may do. Stored as its name.
type Role string

const (
	RoleJobSeeker Role = "JOB_SEEKER"
	RoleEmployer  Role = "EMPLOYER"
	RoleAdmin     Role = "ADMIN"
)

// User is an account and its profile.
type User struct {
	ID         string
	Email      string
	Role       Role
	Active     bool
	CreateTime time.Time
	UpdateTime time.Time
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

// UserFilter narrows talent search. Empty fields do not filter.
type UserFilter struct {
	Query            string
	Location         string
	Skill            string
	AvailableForHire *bool
}
