package auth

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoToken means the request carried no Authorization header at all, which
// public methods accept and protected ones refuse.
var ErrNoToken = errors.New("no access token")

const bearerPrefix = "Bearer "

// Reasons are built once so that refusing hostile input allocates nothing.
var (
	errNotBearer  = fmt.Errorf("%w: authorization scheme is not Bearer", ErrTokenInvalid)
	errEmpty      = fmt.Errorf("%w: empty token", ErrTokenInvalid)
	errBadChar    = fmt.Errorf("%w: token has a character outside base64url", ErrTokenInvalid)
	errBadShape   = fmt.Errorf("%w: token is not three dot-separated parts", ErrTokenInvalid)
	errHeaderLong = fmt.Errorf("%w: longer than %d bytes", ErrTokenInvalid, MaxTokenBytes)
)

// ParseBearer returns the token in an Authorization header value of the form
// "Bearer <token>": the scheme in any case, one space, then one token of at
// most MaxTokenBytes base64url characters in three non-empty dot-separated
// parts. Its cost is bounded by MaxTokenBytes whatever the input's size.
func ParseBearer(header string) (string, error) {
	if header == "" {
		return "", ErrNoToken
	}
	if len(header) < len(bearerPrefix) || !strings.EqualFold(header[:len(bearerPrefix)], bearerPrefix) {
		return "", errNotBearer
	}
	token := header[len(bearerPrefix):]
	switch {
	case token == "":
		return "", errEmpty
	case len(token) > MaxTokenBytes:
		return "", errHeaderLong
	}
	dots, last := 0, -1
	for i := 0; i < len(token); i++ {
		c := token[i]
		switch {
		case 'A' <= c && c <= 'Z', 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		case c == '.':
			if i == last+1 || dots == 2 {
				return "", errBadShape // empty part, or a fourth part
			}
			dots, last = dots+1, i
		default:
			return "", errBadChar
		}
	}
	if dots != 2 || last == len(token)-1 {
		return "", errBadShape
	}
	return token, nil
}
