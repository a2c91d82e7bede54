package domain_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/hiremebahamas/api/domain"
)

// FuzzCheckLine checks CheckLine against a plainer statement of the rule:
// whatever it accepts is valid UTF-8; has a letter, number, punctuation or
// symbol that is not a blank (unless it is empty); and has no control,
// separator other than a space, private-use, noncharacter or blank, and
// no format character but U+200D, each of which comes before a symbol.
// Free text accepts whatever a line does, and ParseName what is not blank.
func FuzzCheckLine(f *testing.F) {
	for _, s := range ordinary {
		f.Add(s)
	}
	for _, s := range []string{"", "\u200b", "Ada\u202eevil", "\u3164", "\u00a0", "\u0301", "A\a", "🍹\u200d🍹", "a\u200d", "❤\ufe0f\ufe0f", " \ufe0fa", "\xff"} {
		f.Add(s)
	}
	blanks := "\u115f\u1160\u3164\uffa0\u2800\u034f\u17b4\u17b5\U0001d159"
	f.Fuzz(func(t *testing.T, s string) {
		if domain.CheckLine(s) != nil {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("accepted %+q, which is not UTF-8", s)
		}
		visible := s == ""
		for i, r := range s {
			switch {
			case unicode.In(r, unicode.Cc, unicode.Zl, unicode.Zp, unicode.Co) || r&0xfffe == 0xfffe || ('\ufdd0' <= r && r <= '\ufdef'):
				t.Fatalf("accepted %+q with %U", s, r)
			case strings.ContainsRune(blanks, r):
				t.Fatalf("accepted %+q with the blank %U", s, r)
			case r == '\u200d':
				if next, _ := utf8.DecodeRuneInString(s[i+len("\u200d"):]); !unicode.Is(unicode.So, next) {
					t.Fatalf("accepted %+q with U+200D before %U", s, next)
				}
			case unicode.Is(unicode.Cf, r):
				t.Fatalf("accepted %+q with the format character %U", s, r)
			case unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S):
				visible = true
			}
		}
		if !visible && !strings.ContainsFunc(s, func(r rune) bool { return unicode.Is(unicode.Cn, r) }) {
			t.Fatalf("accepted %+q, which has no visible character", s)
		}
		if err := domain.CheckText(s); err != nil {
			t.Fatalf("a line %+q is not acceptable free text: %v", s, err)
		}
		if name, err := domain.ParseName(s); strings.TrimSpace(s) != "" && (err != nil || name != strings.TrimSpace(s)) {
			t.Fatalf("ParseName(%+q) = %q, %v; want it trimmed", s, name, err)
		}
	})
}
