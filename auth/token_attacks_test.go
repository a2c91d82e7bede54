package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"testing"
	"time"
)

func b64url(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// forge builds a token by hand, for the shapes the library refuses to make.
// alg picks the MAC: HS256 or HS512 sign with secret; anything else gets a
// junk signature.
func forge(t *testing.T, header, payload map[string]any, secret []byte) string {
	t.Helper()
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	signing := b64url(h) + "." + b64url(p)
	var newHash func() hash.Hash
	switch header["alg"] {
	case "HS256":
		newHash = sha256.New
	case "HS512":
		newHash = sha512.New
	case "none":
		return signing + "."
	default:
		return signing + "." + b64url([]byte("not a real signature at all"))
	}
	mac := hmac.New(newHash, secret)
	mac.Write([]byte(signing))
	return signing + "." + b64url(mac.Sum(nil))
}

func validPayload(now time.Time) map[string]any {
	return map[string]any{
		"sub":  "user-1",
		"role": "employer",
		"iss":  "hiremebahamas",
		"aud":  "hiremebahamas-api",
		"iat":  now.Unix(),
		"exp":  now.Add(15 * time.Minute).Unix(),
		"jti":  "abc",
	}
}

func hs256(kid string) map[string]any {
	return map[string]any{"alg": "HS256", "typ": "JWT", "kid": kid}
}

func TestVerifyAttacks(t *testing.T) {
	t.Parallel()
	now := testNow
	tokens := newTokens(t, &now)
	valid, _, err := tokens.Issue("user-1", "employer")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(valid, ".")
	secret := testKey.Secret
	payload := func(change func(map[string]any)) map[string]any {
		p := validPayload(now)
		change(p)
		return p
	}
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tamperedPayload := b64url([]byte(`{"sub":"user-1","role":"admin","iss":"hiremebahamas","aud":"hiremebahamas-api","iat":` +
		jsonInt(now.Unix()) + `,"exp":` + jsonInt(now.Add(time.Hour).Unix()) + `}`))

	tests := []struct {
		name  string
		token string
		want  error // nil, ErrTokenInvalid or ErrTokenExpired
	}{
		{"valid", valid, nil},
		{"hand-built valid", forge(t, hs256(testKey.ID), validPayload(now), secret), nil},
		{"aud as array", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["aud"] = []string{"other", "hiremebahamas-api"} }), secret), nil},
		{"previous key", forge(t, hs256(testPrevious.ID), validPayload(now), testPrevious.Secret), nil},
		{"alg none", forge(t, map[string]any{"alg": "none", "kid": testKey.ID}, validPayload(now), nil), ErrTokenInvalid},
		{"alg none uppercase", forge(t, map[string]any{"alg": "NONE", "kid": testKey.ID}, validPayload(now), nil), ErrTokenInvalid},
		{"HS512 with the same secret", forge(t, map[string]any{"alg": "HS512", "kid": testKey.ID}, validPayload(now), secret), ErrTokenInvalid},
		{"RS256 header", forge(t, map[string]any{"alg": "RS256", "kid": testKey.ID}, validPayload(now), secret), ErrTokenInvalid},
		{"no alg", forge(t, map[string]any{"kid": testKey.ID}, validPayload(now), secret), ErrTokenInvalid},
		{"tampered payload", parts[0] + "." + tamperedPayload + "." + parts[2], ErrTokenInvalid},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flip(parts[2], 5), ErrTokenInvalid},
		{"signature dropped", parts[0] + "." + parts[1] + ".", ErrTokenInvalid},
		{"signature non-canonical base64", parts[0] + "." + parts[1] + "." + parts[2][:42] + string(parts[2][42]+1), ErrTokenInvalid},
		{"expired", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["exp"] = now.Add(-31 * time.Second).Unix() }), secret), ErrTokenExpired},
		{"expired within leeway", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["exp"] = now.Add(-29 * time.Second).Unix() }), secret), nil},
		{"expired and wrong audience", forge(t, hs256(testKey.ID), payload(func(p map[string]any) {
			p["exp"] = now.Add(-time.Hour).Unix()
			p["aud"] = "other-api"
		}), secret), ErrTokenInvalid},
		{"expired and no sub", forge(t, hs256(testKey.ID), payload(func(p map[string]any) {
			p["exp"] = now.Add(-time.Hour).Unix()
			delete(p, "sub")
		}), secret), ErrTokenInvalid},
		{"expired with a bad signature", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["exp"] = now.Add(-time.Hour).Unix() }), testRetired.Secret), ErrTokenInvalid},
		{"issued in the future", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["iat"] = now.Add(time.Hour).Unix() }), secret), ErrTokenInvalid},
		{"not valid yet", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["nbf"] = now.Add(time.Hour).Unix() }), secret), ErrTokenInvalid},
		{"wrong audience", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["aud"] = "other-api" }), secret), ErrTokenInvalid},
		{"missing audience", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { delete(p, "aud") }), secret), ErrTokenInvalid},
		{"wrong issuer", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["iss"] = "evil" }), secret), ErrTokenInvalid},
		{"missing issuer", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { delete(p, "iss") }), secret), ErrTokenInvalid},
		{"missing exp", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { delete(p, "exp") }), secret), ErrTokenInvalid},
		{"exp as a string", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["exp"] = "tomorrow" }), secret), ErrTokenInvalid},
		{"missing sub", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { delete(p, "sub") }), secret), ErrTokenInvalid},
		{"empty sub", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["sub"] = "" }), secret), ErrTokenInvalid},
		{"missing role", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { delete(p, "role") }), secret), ErrTokenInvalid},
		{"role not a string", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["role"] = 1 }), secret), ErrTokenInvalid},
		{"unknown kid", forge(t, hs256("0123456789abcdef"), validPayload(now), secret), ErrTokenInvalid},
		{"kid not a string", forge(t, map[string]any{"alg": "HS256", "kid": 7}, validPayload(now), secret), ErrTokenInvalid},
		{"no kid", forge(t, map[string]any{"alg": "HS256"}, validPayload(now), secret), ErrTokenInvalid},
		{"empty kid", forge(t, hs256(""), validPayload(now), secret), ErrTokenInvalid},
		{"kid of one key, signed by another", forge(t, hs256(testPrevious.ID), validPayload(now), secret), ErrTokenInvalid},
		{"retired key", forge(t, hs256(testRetired.ID), validPayload(now), testRetired.Secret), ErrTokenInvalid},
		{"critical extension", forge(t, map[string]any{"alg": "HS256", "kid": testKey.ID, "crit": []string{"exp"}}, validPayload(now), secret), ErrTokenInvalid},
		{"oversized", forge(t, hs256(testKey.ID), payload(func(p map[string]any) { p["pad"] = strings.Repeat("x", MaxTokenBytes) }), secret), ErrTokenInvalid},
		{"empty", "", ErrTokenInvalid},
		{"garbage", "garbage", ErrTokenInvalid},
		{"dots", "..", ErrTokenInvalid},
		{"four parts", valid + ".x", ErrTokenInvalid},
		{"bearer prefix left on", "Bearer " + valid, ErrTokenInvalid},
		{"not base64", "a!b.c@d.e#f", ErrTokenInvalid},
		{"header not JSON", b64url([]byte("not json")) + "." + parts[1] + "." + parts[2], ErrTokenInvalid},
		{"payload not an object", forgeRaw(`{"alg":"HS256","kid":"`+testKey.ID+`"}`, `[1,2,3]`, secret), ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := tokens.Verify(tt.token)
			switch {
			case tt.want == nil && err != nil:
				t.Fatalf("Verify: %v", err)
			case tt.want == nil:
				if got.UserID != "user-1" || got.Role != "employer" {
					t.Errorf("claims = %+v; want user-1 employer", got)
				}
			case !errors.Is(err, tt.want):
				t.Fatalf("Verify = %+v, %v; want %v", got, err, tt.want)
			case got != Claims{}:
				t.Errorf("claims %+v returned with error %v", got, err)
			}
			// The two errors never both match, so callers can switch on them.
			if errors.Is(err, ErrTokenInvalid) && errors.Is(err, ErrTokenExpired) {
				t.Errorf("error %v matches both ErrTokenInvalid and ErrTokenExpired", err)
			}
		})
	}
}

func jsonInt(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func forgeRaw(header, payload string, secret []byte) string {
	signing := b64url([]byte(header)) + "." + b64url([]byte(payload))
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(signing))
	return signing + "." + b64url(mac.Sum(nil))
}
