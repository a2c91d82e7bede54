package domain_test

import (
	"strings"
	"testing"

	"github.com/hiremebahamas/api/domain"
)

// ordinary is text people write, which every check must accept.
var ordinary = []string{
	"Ada", "José", "Zoë", "François", "Ségolène", "Muñoz", "Peña", "Jean-Baptiste", "O'Brien", "O’Brien",
	"Marie-Thérèse", "Dieunel Pierre-Louis", "Wòch", "Fènèl", "Ti Jan", "Jose\u0301", "Jean\u00a0Baptiste",
	"王小明", "山田 太郎", "김민준", "محمد", "דוד", "प्रिया", "สมชาย",
	"Chef 👩‍🍳 at Graycliff", "Hiring ❤️", "Front desk 👋🏽", "🇧🇸 Bahamian", "Bartender 🍹", "👁️‍🗨️", "🏳️‍🌈",
	"Tired gardener 🫩🪏", // Unicode 16 emoji, newer than Go's tables
	"Bartender (5 yrs) — rum & mixology, 100%", "1️⃣ priority",
}

func TestCheckLine(t *testing.T) {
	t.Parallel()
	for _, s := range ordinary {
		if err := domain.CheckLine(s); err != nil {
			t.Errorf("CheckLine(%+q): %v; want nil", s, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"\u200b", "invisible or direction-changing characters (U+200B)"},
		{"Ada\u202eevil", "invisible or direction-changing characters (U+202E)"},
		{"\u3164", "(U+3164)"},
		{"\u115f\u1160", "(U+115F)"},
		{"\uffa0", "(U+FFA0)"},
		{"\u2800", "(U+2800)"},
		{"\U0001d159", "(U+1D159)"},
		{"A\u034f", "(U+034F)"},
		{"\u17b4", "(U+17B4)"},
		{"\u00a0", "must contain a visible character"},
		{"\u3000 ", "must contain a visible character"},
		{"\u0301", "must contain a visible character"},
		{"A\a", "control characters (U+0007)"},
		{"Ada\tLovelace", "control characters (U+0009)"},
		{"Ada\nLovelace", "control characters (U+000A)"},
		{"Ada\u0085", "control characters (U+0085)"},
		{"Ada\u2028", "line or paragraph separators (U+2028)"},
		{"Ada\u2029", "line or paragraph separators (U+2029)"},
		{"\ufeffAda", "(U+FEFF)"},
		{"Ada\u00adm", "(U+00AD)"},
		{"Ada\u2060", "(U+2060)"},
		{"Ada\u200c", "(U+200C)"},
		{"Ada\u200dm", "(U+200D)"},
		{"🍹\u200dAda", "(U+200D)"},
		{"\u200d🍹", "(U+200D)"},
		{"Ada\u200e", "(U+200E)"},
		{"Ada\u200f", "(U+200F)"},
		{"Ada\u061c", "(U+061C)"},
		{"\u2066Ada\u2069", "(U+2066)"},
		{"Ada\u180e", "(U+180E)"},
		{"Ada\U000e0041", "(U+E0041)"},
		{"\ufe0f", "(U+FE0F)"},
		{"❤\ufe0f\ufe0f", "(U+FE0F)"},
		{"Ada \ufe0f", "(U+FE0F)"},
		{"Ada\U000e0100\U000e0101", "(U+E0101)"},
		{"Ada\ue000", "private-use characters (U+E000)"},
		{"Ada\U000f0000", "private-use characters (U+F0000)"},
		{"Ada\u0378", "unassigned code points (U+0378)"},
		{"Ada\ufffe", "unassigned code points (U+FFFE)"},
		{"Ada\xff", "must be valid UTF-8"},
	} {
		err := domain.CheckLine(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckLine(%+q): %v; want %q", tc.in, err, tc.want)
		}
	}
	if err := domain.CheckLine(""); err != nil {
		t.Errorf("CheckLine(\"\"): %v; an empty value is the caller's to allow", err)
	}
}

func TestCheckText(t *testing.T) {
	t.Parallel()
	for _, s := range append([]string{"Line one\nLine two\n\n\tIndented", "Ada\u200bLovelace", "שלום\u200f!", "\r\n"}, ordinary...) {
		if err := domain.CheckText(s); err != nil {
			t.Errorf("CheckText(%+q): %v; want nil", s, err)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"access_level != \"user\u202e \u2066// Check if admin\u2069 \u2066\"", "direction-changing characters (U+202E)"},
		{"Pay \u202a$100\u202c", "(U+202A)"},
		{"\u2067x", "(U+2067)"},
		{"x\u2069", "(U+2069)"},
		{"\xc3", "must be valid UTF-8"},
	} {
		err := domain.CheckText(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("CheckText(%+q): %v; want %q", tc.in, err, tc.want)
		}
	}
}

func TestParseName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"  Ada ": "Ada", "Jean-Baptiste": "Jean-Baptiste", "\u00a0Wòch\u00a0": "Wòch"} {
		if got, err := domain.ParseName(in); err != nil || got != want {
			t.Errorf("ParseName(%+q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{"": "cannot be blank", " \u00a0\u3000": "cannot be blank", "\u200b": "(U+200B)",
		"\u3164": "(U+3164)", "\u0301": "visible"} {
		if got, err := domain.ParseName(in); err == nil || got != "" || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseName(%+q) = %q, %v; want an error mentioning %q", in, got, err, want)
		}
	}
}

func TestParseEmail(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"ada@example.com": "ada@example.com", "  Ada.Lovelace@Example.COM ": "ada.lovelace@example.com",
		"josé@example.com": "josé@example.com", "o'brien+jobs@mail.example.bs": "o'brien+jobs@mail.example.bs",
		"ada@xn--caf-dma.com": "ada@xn--caf-dma.com", "a@b-c.d1": "a@b-c.d1",
	} {
		if got, err := domain.ParseEmail(in); err != nil || got != want {
			t.Errorf("ParseEmail(%+q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"ops@localhost":                           "valid email address",
		"not-an-email":                            "valid email address",
		"Ada <ada@example.com>":                   "spaces",
		"ada@example.com.":                        "valid email address",
		"ada@.example.com":                        "valid email address",
		"ada@example..com":                        "valid email address",
		"ada@-example.com":                        "valid email address",
		"ada@example-.com":                        "valid email address",
		"ada@[192.0.2.1]":                         "valid email address",
		"ada@exa_mple.com":                        "valid email address",
		"ada@" + strings.Repeat("a", 64) + ".com": "valid email address",
		"ada@café.com":                            "domain must be written in ASCII",
		"ada@ехample.com":                         "domain must be written in ASCII", // Cyrillic е and х
		"ada\u202e@example.com":                   "invisible or direction-changing characters (U+202E)",
		"ad\u200ba@example.com":                   "(U+200B)",
		"ada@exa\u00admple.com":                   "(U+00AD)",
		"🍹\u200d🍹@example.com":                    "(U+200D)",
		"ada\u00a0l@example.com":                  "spaces (U+00A0)",
		"\"ada l\"@example.com":                   "spaces (U+0020)",
		"ada\x00@example.com":                     "control characters (U+0000)",
		"ada\ue000@example.com":                   "private-use",
	} {
		if got, err := domain.ParseEmail(in); err == nil || got != "" || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseEmail(%+q) = %q, %v; want an error mentioning %q", in, got, err, want)
		}
	}
}
