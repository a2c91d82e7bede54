package store_test

import (
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/hiremebahamas/api/store"
)

// safeTSQuery is all TSQuery may produce: words of letters and digits
// joined by " & ", the last one a prefix. Nothing else reaches to_tsquery,
// so nothing a person types is read as query syntax.
var safeTSQuery = regexp.MustCompile(`^(?:[\pL\pN]+ & )*[\pL\pN]+:\*$`)

// FuzzTSQuery checks the search text sanitiser: its output is empty exactly
// when the text has no letter or digit, and otherwise safe, at most 16
// words, each taken from the (lower-cased) text in order, and unchanged
// when its own words are fed back.
func FuzzTSQuery(f *testing.F) {
	for _, seed := range []string{"bartender", "Software Developer", "bank & (tell):*'", "' OR 1=1 --", "%_\\", "",
		"a\x00b", "caf\xc3", "İstanbul ǅ ß", "١٢٣ 四五", "x:* | !y <-> z", "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		out := store.TSQuery(text)
		hasWord := strings.IndexFunc(strings.ToLower(text), func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
		if out == "" {
			if hasWord {
				t.Fatalf("TSQuery(%q) is empty, but the text has words", text)
			}
			return
		}
		if !hasWord || !safeTSQuery.MatchString(out) {
			t.Fatalf("TSQuery(%q) = %q", text, out)
		}
		words := strings.Split(strings.TrimSuffix(out, ":*"), " & ")
		if len(words) > 16 {
			t.Fatalf("TSQuery(%q) has %d words; want at most 16", text, len(words))
		}
		rest := strings.ToLower(text)
		for _, w := range words {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Fatalf("TSQuery(%q) = %q: %q is not next in the text", text, out, w)
			}
			rest = rest[i+len(w):]
		}
		if again := store.TSQuery(strings.Join(words, " ")); again != out {
			t.Fatalf("TSQuery of its own words %q = %q; want %q", words, again, out)
		}
	})
}
