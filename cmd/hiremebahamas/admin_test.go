package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hiremebahamas/api/internal/pgtest"
)

func TestAdminCommands(t *testing.T) {
	url := pgtest.NewDatabase(t)
	env := func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
	admin := func(stdin string, args ...string) (int, string) {
		var stderr bytes.Buffer
		code := run(context.Background(), append([]string{"admin"}, args...), env, strings.NewReader(stdin), &stderr)
		return code, stderr.String()
	}

	code, out := admin("an operator's long password\n", "create-user", "--email", "Ops@HireMeBahamas.com", "--role", "admin", "--first-name", "Op", "--last-name", "Erator")
	if code != 0 || !strings.Contains(out, "ops@hiremebahamas.com") || !strings.Contains(out, "role ADMIN") {
		t.Fatalf("create-user: %d %q", code, out)
	}
	if code, out := admin("", "set-role", "--email", "ops@hiremebahamas.com", "--role", "employer"); code != 0 || !strings.Contains(out, "role EMPLOYER") {
		t.Errorf("set-role: %d %q", code, out)
	}
	for _, tc := range []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{"duplicate", "another long password\n", []string{"create-user", "--email", "ops@hiremebahamas.com", "--role", "admin", "--first-name", "A", "--last-name", "B"}, "already exists"},
		{"short password", "short\n", []string{"create-user", "--email", "new@hiremebahamas.com", "--role", "admin", "--first-name", "A", "--last-name", "B"}, "at least 8"},
		{"unknown role", "", []string{"set-role", "--email", "ops@hiremebahamas.com", "--role", "king"}, "--role"},
		{"unknown user", "", []string{"set-role", "--email", "nobody@hiremebahamas.com", "--role", "admin"}, "no such user"},
		{"bad email", "", []string{"set-role", "--email", "nope", "--role", "admin"}, "--email"},
		// The rules of sign-up.
		{"host without a domain", "another long password\n", []string{"create-user", "--email", "ops@localhost", "--role", "admin", "--first-name", "A", "--last-name", "B"},
			"--email: must be a valid email address"},
		{"direction override in the email", "another long password\n", []string{"create-user", "--email", "ops\u202e@hiremebahamas.com", "--role", "admin", "--first-name", "A", "--last-name", "B"},
			"--email: must not contain invisible or direction-changing characters (U+202E)"},
		{"invisible first name", "another long password\n", []string{"create-user", "--email", "blank@hiremebahamas.com", "--role", "admin", "--first-name", "\u200b", "--last-name", "B"},
			"--first-name: must not contain invisible or direction-changing characters (U+200B)"},
		{"Hangul filler as a last name", "another long password\n", []string{"create-user", "--email", "blank@hiremebahamas.com", "--role", "admin", "--first-name", "A", "--last-name", "\u3164"},
			"--last-name: must not contain invisible or direction-changing characters (U+3164)"},
		{"blank last name", "another long password\n", []string{"create-user", "--email", "blank@hiremebahamas.com", "--role", "admin", "--first-name", "A", "--last-name", " \u00a0"},
			"--last-name: cannot be blank"},
		{"refused accounts were not created", "", []string{"set-role", "--email", "blank@hiremebahamas.com", "--role", "employer"}, "no such user"},
		{"no subcommand", "", nil, "usage"},
	} {
		if code, out := admin(tc.stdin, tc.args...); code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %d %q; want a failure mentioning %q", tc.name, code, out, tc.want)
		}
	}
}

func TestSeedCommand(t *testing.T) {
	url := pgtest.NewDatabase(t)
	env := func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }
	var stderr bytes.Buffer
	code := run(context.Background(), []string{"seed", "--jobs", "120", "--users", "30", "--seed", "7"}, env, strings.NewReader(""), &stderr)
	if code != 0 || !strings.Contains(stderr.String(), "3 employers, 27 job seekers, 120 jobs") {
		t.Fatalf("seed: %d %q", code, stderr.String())
	}
	if code := run(context.Background(), []string{"seed", "--jobs", "-1"}, env, strings.NewReader(""), &stderr); code != 2 {
		t.Errorf("negative --jobs: exit %d", code)
	}
	empty := pgtest.NewEmptyDatabase(t)
	stderr.Reset()
	code = run(context.Background(), []string{"seed"}, func(k string) string { return map[string]string{"DATABASE_URL": empty}[k] }, strings.NewReader(""), &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "migrate") {
		t.Errorf("seed before migrating: %d %q; want a failure that says to migrate", code, stderr.String())
	}
}
