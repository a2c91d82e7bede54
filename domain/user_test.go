package domain

import "testing"

func TestParseRole(t *testing.T) {
	for in, want := range map[string]Role{
		"job_seeker": RoleJobSeeker, "SEEKER": RoleJobSeeker, " Employer ": RoleEmployer,
		"ROLE_EMPLOYER": RoleEmployer, "admin": RoleAdmin, "role_admin": RoleAdmin,
		"": "", "king": "", "ROLE_UNSPECIFIED": "", "ROLE_": "", "employers": "",
	} {
		got, ok := ParseRole(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseRole(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}
