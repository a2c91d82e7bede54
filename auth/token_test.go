package auth

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	testNow      = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)
	testKey      = KeyFromSecret("current-secret-of-at-least-32-bytes!")
	testPrevious = KeyFromSecret("previous-secret-of-at-least-32-bytes")
	testRetired  = KeyFromSecret("retired-secret-of-at-least-32-bytes!")
)

// newTokens returns Tokens whose clock reads *now, so a test can move it.
func newTokens(t testing.TB, now *time.Time) *Tokens {
	t.Helper()
	tokens, err := NewTokens(TokenConfig{
		Issuer:   "hiremebahamas",
		Audience: "hiremebahamas-api",
		TTL:      15 * time.Minute,
		Leeway:   30 * time.Second,
		Current:  testKey,
		Previous: []Key{testPrevious},
		Now:      func() time.Time { return *now },
	})
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	return tokens
}

func TestIssueVerify(t *testing.T) {
	t.Parallel()
	now := testNow.Add(123 * time.Millisecond)
	tokens := newTokens(t, &now)

	token, issued, err := tokens.Issue("user-1", "employer")
	if err != nil {
		t.Fatalf("Issue: %v", err)
	}
	want := Claims{UserID: "user-1", Role: "employer", ID: issued.ID, IssuedAt: testNow, ExpiresAt: testNow.Add(15 * time.Minute)}
	if diff := cmp.Diff(want, issued); diff != "" {
		t.Errorf("issued claims (-want +got):\n%s", diff)
	}
	if id, err := base64.RawURLEncoding.DecodeString(issued.ID); err != nil || len(id) != 16 {
		t.Errorf("jti %q is not 128 bits of base64url", issued.ID)
	}
	got, err := tokens.Verify(token)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if diff := cmp.Diff(issued, got); diff != "" {
		t.Errorf("verified claims (-issued +verified):\n%s", diff)
	}
	if tokens.TTL() != 15*time.Minute {
		t.Errorf("TTL = %v", tokens.TTL())
	}

	// The wire form is what the API promises: HS256, our kid, a string aud.
	parts := strings.Split(token, ".")
	var header, payload map[string]any
	decodeJSON(t, parts[0], &header)
	decodeJSON(t, parts[1], &payload)
	if header["alg"] != "HS256" || header["kid"] != testKey.ID {
		t.Errorf("header = %v; want alg HS256, kid %s", header, testKey.ID)
	}
	wantPayload := map[string]any{
		"sub": "user-1", "role": "employer", "iss": "hiremebahamas", "aud": "hiremebahamas-api",
		"iat": float64(testNow.Unix()), "exp": float64(testNow.Add(15 * time.Minute).Unix()), "jti": issued.ID,
	}
	if diff := cmp.Diff(wantPayload, payload); diff != "" {
		t.Errorf("payload (-want +got):\n%s", diff)
	}

	if _, _, err := tokens.Issue("", "employer"); err == nil {
		t.Error("Issue with no user id: no error")
	}
	if _, _, err := tokens.Issue("user-1", ""); err == nil {
		t.Error("Issue with no role: no error")
	}
	if _, a, _ := tokens.Issue("user-1", "employer"); a.ID == issued.ID {
		t.Error("two tokens share a jti")
	}
}

func decodeJSON(t *testing.T, segment string, v any) {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(segment)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
}

// A token expires TTL plus leeway after issue, as the clock moves.
func TestVerifyExpiryOverTime(t *testing.T) {
	t.Parallel()
	now := testNow
	tokens := newTokens(t, &now)
	token, _, err := tokens.Issue("user-1", "employer")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		after time.Duration
		want  error
	}{
		{0, nil},
		{15 * time.Minute, nil},
		{15*time.Minute + 29*time.Second, nil},
		{15*time.Minute + 30*time.Second, ErrTokenExpired},
		{24 * time.Hour, ErrTokenExpired},
	}
	for _, tt := range tests {
		now = testNow.Add(tt.after)
		if _, err := tokens.Verify(token); !errors.Is(err, tt.want) {
			t.Errorf("Verify %v after issue = %v; want %v", tt.after, err, tt.want)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	now := testNow
	cfg := func(current Key, previous ...Key) TokenConfig {
		return TokenConfig{Issuer: "i", Audience: "a", TTL: time.Minute, Current: current, Previous: previous, Now: func() time.Time { return now }}
	}
	mustTokens := func(c TokenConfig) *Tokens {
		t.Helper()
		tokens, err := NewTokens(c)
		if err != nil {
			t.Fatal(err)
		}
		return tokens
	}
	before := mustTokens(cfg(testPrevious))
	during := mustTokens(cfg(testKey, testPrevious))
	after := mustTokens(cfg(testKey))

	old, _, err := before.Issue("user-1", "employer")
	if err != nil {
		t.Fatal(err)
	}
	fresh, _, err := during.Issue("user-1", "employer")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := during.Verify(old); err != nil {
		t.Errorf("token from the previous key during rotation: %v", err)
	}
	if _, err := after.Verify(fresh); err != nil {
		t.Errorf("token from the current key after rotation: %v", err)
	}
	if _, err := after.Verify(old); !errors.Is(err, ErrTokenInvalid) {
		t.Errorf("token from a removed key: %v; want ErrTokenInvalid", err)
	}
}

func TestKeyFromSecret(t *testing.T) {
	t.Parallel()
	k := KeyFromSecret("secret")
	// SHA-256("secret") begins 2bb80d537b1da3e3.
	if k.ID != "2bb80d537b1da3e3" || string(k.Secret) != "secret" {
		t.Errorf("KeyFromSecret = %q, %q", k.ID, k.Secret)
	}
	if KeyFromSecret("secret2").ID == k.ID {
		t.Error("different secrets share a kid")
	}
}

func TestNewTokensRefuses(t *testing.T) {
	t.Parallel()
	good := TokenConfig{Issuer: "i", Audience: "a", TTL: time.Minute, Current: testKey}
	tests := []struct {
		name   string
		change func(*TokenConfig)
	}{
		{"empty secret", func(c *TokenConfig) { c.Current.Secret = nil }},
		{"empty kid", func(c *TokenConfig) { c.Current.ID = "" }},
		{"zero TTL", func(c *TokenConfig) { c.TTL = 0 }},
		{"negative TTL", func(c *TokenConfig) { c.TTL = -time.Minute }},
		{"negative leeway", func(c *TokenConfig) { c.Leeway = -time.Second }},
		{"empty issuer", func(c *TokenConfig) { c.Issuer = "" }},
		{"empty audience", func(c *TokenConfig) { c.Audience = "" }},
		{"current repeated in previous", func(c *TokenConfig) { c.Previous = []Key{testKey} }},
		{"duplicate previous kids", func(c *TokenConfig) { c.Previous = []Key{testPrevious, testPrevious} }},
		{"previous with empty secret", func(c *TokenConfig) { c.Previous = []Key{{ID: "x"}} }},
	}
	if _, err := NewTokens(good); err != nil {
		t.Fatalf("NewTokens(good): %v", err)
	}
	for _, tt := range tests {
		c := good
		tt.change(&c)
		if _, err := NewTokens(c); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// Changing the caller's secret after NewTokens must not change the key in use.
func TestNewTokensCopiesSecrets(t *testing.T) {
	t.Parallel()
	now := testNow
	secret := []byte("a secret the caller later scribbles over")
	tokens, err := NewTokens(TokenConfig{Issuer: "i", Audience: "a", TTL: time.Minute, Current: Key{ID: "k", Secret: secret}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := tokens.Issue("user-1", "employer")
	if err != nil {
		t.Fatal(err)
	}
	copy(secret, "XXXXXXXX")
	if _, err := tokens.Verify(token); err != nil {
		t.Errorf("Verify after the caller changed its secret: %v", err)
	}
}

func BenchmarkIssue(b *testing.B) {
	now := testNow
	tokens := newTokens(b, &now)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := tokens.Issue("user-1", "employer"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyToken(b *testing.B) {
	now := testNow
	tokens := newTokens(b, &now)
	token, _, err := tokens.Issue("user-1", "employer")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(token); err != nil {
			b.Fatal(err)
		}
	}
}
