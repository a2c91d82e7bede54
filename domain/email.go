package domain

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
)

// NormalizeEmail is the form an email is stored and looked up in: trimmed
// and lower-cased.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

var errEmail = errors.New("must be a valid email address, such as ada@example.com")

// ParseEmail returns the stored form of an email for a new account, or why
// it cannot be one. The address is bare (no display name) and shows what it
// is: nothing CheckLine refuses, no format character at all, no spaces. The
// mailbox before the @ may be in any script (RFC 6531), but the domain is
// written in ASCII letters, digits and hyphens, with a dot: that is how DNS
// and mail servers without SMTPUTF8 know it (an internationalised domain
// travels as its xn-- form), and so an address shown to an admin cannot
// route mail to a domain that only looks like the one it shows (Cyrillic
// "а" for "a").
func ParseEmail(s string) (string, error) {
	s = NormalizeEmail(s)
	if err := CheckLine(s); err != nil {
		return "", err
	}
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Cf, r): // CheckLine keeps joiners of emoji
			return "", refused("invisible or direction-changing characters", r)
		case unicode.Is(unicode.Z, r):
			return "", refused("spaces", r)
		}
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" {
		return "", errEmail
	}
	at := strings.LastIndexByte(s, '@')
	host := s[at+1:]
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return "", errEmail
	}
	for _, l := range labels {
		if !hostLabel(l) {
			if strings.ContainsFunc(host, func(r rune) bool { return r > unicode.MaxASCII }) {
				return "", errors.New("the domain must be written in ASCII; write an international domain in its xn-- form")
			}
			return "", errEmail
		}
	}
	return s, nil
}

// IsHostname reports whether s is a DNS host name written in ASCII, such as
// api.hiremebahamas.com: dot-separated labels, 253 characters at most.
func IsHostname(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for l := range strings.SplitSeq(s, ".") {
		if !hostLabel(l) {
			return false
		}
	}
	return true
}

// hostLabel reports whether l is one label of a DNS host name: 1 to 63
// letters, digits and hyphens, not starting or ending with a hyphen.
func hostLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
