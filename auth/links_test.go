package auth_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/hiremebahamas/api/auth"
)

func TestLinkSigner(t *testing.T) {
	t.Parallel()
	const uid = "0b9f4a52-2f6e-4c55-9d37-1bb0f3b3e6a1"
	old, err := auth.NewLinkSigner("the previous secret of at least 32 bytes")
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewLinkSigner("the current secret of at least 32 bytes", "the previous secret of at least 32 bytes")
	if err != nil {
		t.Fatal(err)
	}
	other, err := auth.NewLinkSigner("somebody else's secret, also 32 bytes")
	if err != nil {
		t.Fatal(err)
	}
	token := s.Sign("unsubscribe", uid, "job_alerts")
	if strings.Trim(token, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != "" {
		t.Errorf("token %q is not URL-safe as it is", token)
	}
	got, err := s.Verify("unsubscribe", token, 2)
	if err != nil {
		t.Fatalf("Verify(own token): %v", err)
	}
	if diff := cmp.Diff([]string{uid, "job_alerts"}, got); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if _, err := s.Verify("unsubscribe", old.Sign("unsubscribe", uid, "job_alerts"), 2); err != nil {
		t.Errorf("a token signed with a previous key: %v", err)
	}

	body, mac, _ := strings.Cut(token, ".job_alerts.")
	for _, tc := range []struct{ name, purpose, token string }{
		{"another account", "unsubscribe", strings.Replace(token, uid, "1"+uid[1:], 1)},
		{"another kind", "unsubscribe", body + ".new_applications." + mac},
		{"another purpose", "verify", token},
		{"another key", "unsubscribe", other.Sign("unsubscribe", uid, "job_alerts")},
		{"a field too many", "unsubscribe", s.Sign("unsubscribe", uid, "job_alerts", "x")},
		{"truncated mac", "unsubscribe", token[:len(token)-2]},
		{"no mac", "unsubscribe", uid + ".job_alerts"},
		{"empty", "unsubscribe", ""},
		{"dots only", "unsubscribe", "..."},
		{"not base64", "unsubscribe", body + ".job_alerts.!!!!!!!!!!!!!!!!!!!!!!"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := s.Verify(tc.purpose, tc.token, 2); !errors.Is(err, auth.ErrLinkInvalid) {
				t.Errorf("Verify(%q): %v; want ErrLinkInvalid", tc.token, err)
			}
		})
	}
	if _, err := auth.NewLinkSigner(""); err == nil {
		t.Error("a signer without a secret")
	}
}
