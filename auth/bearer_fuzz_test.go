package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// wellFormedBearer is what ParseBearer accepts, written independently of
// it: the scheme in any case, one space, and three non-empty base64url
// parts joined by dots.
var wellFormedBearer = regexp.MustCompile(`^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$`)

// FuzzParseBearer checks the Authorization header parser against that
// definition: it accepts exactly the well-formed headers of at most
// MaxTokenBytes of token and returns their token; refuses everything else
// with ErrTokenInvalid and a reason (or ErrNoToken for no header); and
// refuses an overlong token by its length, without looking at the rest.
func FuzzParseBearer(f *testing.F) {
	f.Add("Bearer " + sampleJWT)
	f.Add("bEaReR a.b.c")
	f.Add("Bearer")
	f.Add("Bearer ")
	f.Add("Basic dXNlcjpwYXNz")
	f.Add("Bearer " + sampleJWT + " " + sampleJWT)
	f.Add("Bearer a..c")
	f.Add("Bearer a.b.c.d")
	f.Add("Bearer é.é.é")
	f.Add("Bearer\ta.b.c")
	f.Add("Bearer a.b.c\n")
	f.Add("Bearer a.b.c=")
	f.Add("Bearer " + strings.Repeat(".", MaxTokenBytes+1))
	f.Add("Bearer a." + strings.Repeat("b", MaxTokenBytes-4) + ".c")
	f.Add("")
	f.Fuzz(func(t *testing.T, header string) {
		token, err := ParseBearer(header)
		m := wellFormedBearer.FindStringSubmatch(header)
		switch {
		case header == "":
			if err != ErrNoToken || token != "" {
				t.Fatalf("no header: %q, %v; want ErrNoToken", token, err)
			}
		case m != nil && len(m[1]) <= MaxTokenBytes:
			if err != nil || token != m[1] {
				t.Fatalf("ParseBearer(%.60q) = %.60q, %v; want %.60q", header, token, err, m[1])
			}
		default:
			if token != "" || !errors.Is(err, ErrTokenInvalid) || err == ErrTokenInvalid {
				t.Fatalf("ParseBearer(%.60q) = %.60q, %v; want a refusal with a reason", header, token, err)
			}
			if len(header) > len(bearerPrefix)+MaxTokenBytes && strings.EqualFold(header[:len(bearerPrefix)], bearerPrefix) && err != errHeaderLong {
				t.Fatalf("an overlong header was refused with %v; want the length refusal, which reads no further", err)
			}
		}
	})
}
