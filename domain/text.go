package domain

import (
	"errors"
	"fmt"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/rangetable"
)

// Text that people read: names, titles, headlines. What is stored must look
// like what it is: no character that draws nothing, reorders what follows
// or cannot be rendered at all, so that "Ada" cannot hide a second word,
// a name cannot be blank to the eye, and text cannot read backwards.

const zeroWidthJoiner = '\u200d'

var (
	// blanks are characters that draw nothing although Unicode does not
	// class them as format characters. Unicode's own list of them is the
	// Default_Ignorable_Code_Point property (UAX #44, "should be rendered
	// invisibly"): its Cf members are refused as Cf, the rest is
	// Other_Default_Ignorable_Code_Point: the Hangul fillers U+115F, U+1160,
	// U+3164 and U+FFA0, the combining grapheme joiner U+034F, the Khmer
	// inherent vowels U+17B4 and U+17B5, and reserved ranges. Two more draw
	// an empty box or nothing in every common font and are the usual
	// "invisible name" tricks besides: U+2800 BRAILLE PATTERN BLANK and
	// U+1D159 MUSICAL SYMBOL NULL NOTEHEAD. Variation selectors, also
	// default-ignorable, have a rule of their own below.
	blanks = rangetable.Merge(unicode.Other_Default_Ignorable_Code_Point, rangetable.New(0x2800, 0x1d159))

	// assigned is Unicode 17.0's assigned code points. Go's category tables
	// are Unicode 15.0; code points assigned since (new emoji, scripts) are
	// letters, marks, numbers, punctuation and symbols only, no format or
	// space characters, and count as visible.
	assigned = rangetable.Assigned("17.0.0")

	errNotUTF8 = errors.New("must be valid UTF-8")
)

// CheckLine reports what keeps s from being shown as one line of text, or
// nil: control characters (tabs and newlines included), line and paragraph
// separators, format characters (zero-width spaces and joiners, the soft
// hyphen, the byte-order mark, bidirectional marks, embeddings, overrides
// and isolates, tags), blanks, private-use and unassigned code points. A
// value that is not empty must also have a visible character: a letter,
// number, punctuation or symbol; spaces and combining marks alone draw
// nothing.
//
// Two default-ignorable characters are kept where emoji need them: U+200D
// between two symbols, which joins emoji (👩‍💻), and a variation selector
// right after a visible character, which picks its form (❤️). A variation
// selector anywhere else, or a run of them, shows nothing and can carry
// hidden data.
func CheckLine(s string) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	visible := false
	base := rune(-1)      // the last character that is not a mark
	afterVisible := false // whether the previous character is visible
	for i, r := range s {
		shows := false
		switch {
		case unicode.Is(unicode.Cc, r):
			return refused("control characters", r)
		case unicode.In(r, unicode.Zl, unicode.Zp):
			return refused("line or paragraph separators", r)
		case r == zeroWidthJoiner && joinsEmoji(base, s[i+utf8.RuneLen(r):]):
			// Part of an emoji.
		case unicode.Is(unicode.Cf, r), unicode.Is(blanks, r):
			return refused("invisible or direction-changing characters", r)
		case unicode.Is(unicode.Co, r):
			return refused("private-use characters", r)
		case !unicode.Is(assigned, r):
			return refused("unassigned code points", r)
		case unicode.Is(unicode.Variation_Selector, r):
			if !afterVisible {
				return refused("invisible or direction-changing characters", r)
			}
		case unicode.In(r, unicode.L, unicode.N, unicode.P, unicode.S),
			unicode.Is(unicode.Cn, r): // to Go's tables; assigned since
			shows, visible = true, true
		}
		if !unicode.Is(unicode.M, r) {
			base = r
		}
		afterVisible = shows
	}
	if s != "" && !visible {
		return errors.New("must contain a visible character")
	}
	return nil
}

// joinsEmoji reports whether a zero-width joiner after base and before rest
// joins two emoji: a symbol (or a skin tone, itself a modifier symbol) and
// a symbol.
func joinsEmoji(base rune, rest string) bool {
	next, _ := utf8.DecodeRuneInString(rest)
	return unicode.In(base, unicode.So, unicode.Sk) && unicode.Is(unicode.So, next)
}

// CheckText reports what keeps s from being stored as free text of several
// lines (a description, a cover letter), or nil. Newlines, tabs and the
// rest are the writer's business there; only the bidirectional embeddings,
// overrides and isolates are refused, since they make text display in an
// order other than the one it is stored and read in (the "Trojan Source"
// trick).
func CheckText(s string) error {
	if !utf8.ValidString(s) {
		return errNotUTF8
	}
	for _, r := range s {
		if ('\u202a' <= r && r <= '\u202e') || ('\u2066' <= r && r <= '\u2069') {
			return refused("direction-changing characters", r)
		}
	}
	return nil
}

func refused(class string, r rune) error {
	return fmt.Errorf("must not contain %s (%U)", class, r)
}
