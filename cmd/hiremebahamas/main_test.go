package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestRunRefusesBadInvocations(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantText string
	}{
		{"no command", nil, nil, 2, "usage"},
		{"unknown command", []string{"launch"}, nil, 2, "usage"},
		{"serve without a database", []string{"serve"}, nil, 2, "DATABASE_URL: required"},
		{"production with a weak secret", []string{"serve"}, map[string]string{
			"DATABASE_URL": "postgres://localhost/db", "ENV": "production", "JWT_SECRET_KEY": "short",
			"FRONTEND_URL": "https://hiremebahamas.com"}, 2, "JWT_SECRET_KEY"},
		{"unknown flag", []string{"migrate", "--nope"}, map[string]string{"DATABASE_URL": "postgres://localhost/db"}, 2, "nope"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := run(context.Background(), tc.args, func(k string) string { return tc.env[k] }, strings.NewReader(""), &stderr)
			if code != tc.wantCode || !strings.Contains(stderr.String(), tc.wantText) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), tc.wantCode, tc.wantText)
			}
		})
	}
}
