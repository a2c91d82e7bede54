package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// refreshTokenLen is the unpadded base64url length of 32 random bytes.
const refreshTokenLen = 43

// NewRefreshToken returns 256 random bits as unpadded base64url, for the
// client, and its SHA-256, the only form to store: a leaked table then holds
// nothing a client could present.
func NewRefreshToken() (token string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	return token, HashRefreshToken(token), nil
}

// HashRefreshToken returns the SHA-256 of token. A plain hash suffices
// because the token is 256 random bits, not a guessable secret. Check the
// token with ValidRefreshToken first to refuse garbage without a lookup.
func HashRefreshToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// ValidRefreshToken reports whether token has the shape NewRefreshToken
// produces: 43 base64url characters in canonical form.
func ValidRefreshToken(token string) bool {
	if len(token) != refreshTokenLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		if b64urlValue(token[i]) < 0 {
			return false
		}
	}
	// 43 characters carry 258 bits; the last character's low two bits are
	// padding and are zero in the canonical encoding.
	return b64urlValue(token[refreshTokenLen-1])&3 == 0
}

func b64urlValue(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}
