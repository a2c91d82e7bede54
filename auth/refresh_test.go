package auth

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestNewRefreshToken(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 1000 {
		token, hash, err := NewRefreshToken()
		if err != nil {
			t.Fatal(err)
		}
		if len(token) != 43 || !ValidRefreshToken(token) {
			t.Fatalf("token %q: want 43 valid base64url characters", token)
		}
		if sum := sha256.Sum256([]byte(token)); !bytes.Equal(hash, sum[:]) {
			t.Fatalf("hash of %q is not its SHA-256", token)
		}
		if !bytes.Equal(HashRefreshToken(token), hash) {
			t.Fatalf("HashRefreshToken(%q) differs from the hash NewRefreshToken returned", token)
		}
		if seen[token] {
			t.Fatalf("token %q issued twice", token)
		}
		seen[token] = true
	}
}

func TestValidRefreshToken(t *testing.T) {
	t.Parallel()
	good, _, err := NewRefreshToken()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, token string
		want        bool
	}{
		{"issued", good, true},
		{"all A", strings.Repeat("A", 43), true},
		{"empty", "", false},
		{"one short", good[:42], false},
		{"one long", good + "A", false},
		{"padded", good + "=", false},
		{"standard base64 plus", "+" + good[1:], false},
		{"standard base64 slash", "/" + good[1:], false},
		{"space", " " + good[1:], false},
		{"non-ASCII", "é" + good[2:], false},
		{"non-canonical last character", strings.Repeat("A", 42) + "B", false},
		{"access token", sampleJWT, false},
		{"huge", strings.Repeat("A", 1<<20), false},
	}
	for _, tt := range tests {
		if got := ValidRefreshToken(tt.token); got != tt.want {
			t.Errorf("%s: ValidRefreshToken(%.50q) = %v; want %v", tt.name, tt.token, got, tt.want)
		}
	}
}

func TestHashRefreshToken(t *testing.T) {
	t.Parallel()
	// SHA-256("abc"), from FIPS 180-2.
	want := []byte{
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
		0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	}
	if got := HashRefreshToken("abc"); !bytes.Equal(got, want) {
		t.Errorf("HashRefreshToken(abc) = %x; want %x", got, want)
	}
}
