package auth

import (
	"errors"
	"strings"
	"testing"
)

const sampleJWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVzLWhlcmU_-0"

func TestParseBearer(t *testing.T) {
	t.Parallel()
	hugeDots := "Bearer " + strings.Repeat(".", 1<<20)
	tests := []struct {
		name, header string
		want         string
		wantErr      error
	}{
		{"valid", "Bearer " + sampleJWT, sampleJWT, nil},
		{"lowercase scheme", "bearer " + sampleJWT, sampleJWT, nil},
		{"uppercase scheme", "BEARER " + sampleJWT, sampleJWT, nil},
		{"longest allowed", "Bearer a." + strings.Repeat("b", MaxTokenBytes-4) + ".c", "a." + strings.Repeat("b", MaxTokenBytes-4) + ".c", nil},
		{"empty", "", "", ErrNoToken},
		{"missing scheme", sampleJWT, "", ErrTokenInvalid},
		{"scheme only", "Bearer", "", ErrTokenInvalid},
		{"scheme and space only", "Bearer ", "", ErrTokenInvalid},
		{"basic", "Basic dXNlcjpwYXNz", "", ErrTokenInvalid},
		{"scheme prefix of a longer word", "Bearerx " + sampleJWT, "", ErrTokenInvalid},
		{"tab after scheme", "Bearer\t" + sampleJWT, "", ErrTokenInvalid},
		{"two tokens", "Bearer " + sampleJWT + " " + sampleJWT, "", ErrTokenInvalid},
		{"two spaces", "Bearer  " + sampleJWT, "", ErrTokenInvalid},
		{"leading space", " Bearer " + sampleJWT, "", ErrTokenInvalid},
		{"trailing space", "Bearer " + sampleJWT + " ", "", ErrTokenInvalid},
		{"trailing newline", "Bearer " + sampleJWT + "\n", "", ErrTokenInvalid},
		{"a megabyte of dots", hugeDots, "", ErrTokenInvalid},
		{"one byte too long", "Bearer a." + strings.Repeat("b", MaxTokenBytes-3) + ".c", "", ErrTokenInvalid},
		{"standard base64 plus", "Bearer ab+c.def.ghi", "", ErrTokenInvalid},
		{"standard base64 slash", "Bearer abc.d/ef.ghi", "", ErrTokenInvalid},
		{"padding", "Bearer abc.def.ghi=", "", ErrTokenInvalid},
		{"non-ASCII", "Bearer abc.dé.ghi", "", ErrTokenInvalid},
		{"NUL", "Bearer abc.d\x00f.ghi", "", ErrTokenInvalid},
		{"no dots", "Bearer abcdefghi", "", ErrTokenInvalid},
		{"one dot", "Bearer abc.defghi", "", ErrTokenInvalid},
		{"three dots", "Bearer abc.def.ghi.jkl", "", ErrTokenInvalid},
		{"empty header part", "Bearer .def.ghi", "", ErrTokenInvalid},
		{"empty payload part", "Bearer abc..ghi", "", ErrTokenInvalid},
		{"empty signature part", "Bearer abc.def.", "", ErrTokenInvalid},
		{"only dots", "Bearer ..", "", ErrTokenInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseBearer(tt.header)
			if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("ParseBearer(%.40q) = %q, %v; want %q, %v", tt.header, got, err, tt.want, tt.wantErr)
			}
			if tt.wantErr == ErrTokenInvalid && err == ErrTokenInvalid {
				t.Error("error carries no reason")
			}
		})
	}
}

// Hostile input is refused after a bounded look, without allocating. Not
// parallel: testing.AllocsPerRun refuses to run beside other tests.
func TestParseBearerHugeAllocatesNothing(t *testing.T) {
	for _, header := range []string{
		"Bearer " + strings.Repeat(".", 1<<20),
		"Bearer " + strings.Repeat("a", 1<<20),
		strings.Repeat(" ", 1<<20),
		"Bearer " + strings.Repeat("a.", 3) + strings.Repeat("b", 1<<20),
	} {
		if n := testing.AllocsPerRun(10, func() { _, _ = ParseBearer(header) }); n != 0 {
			t.Errorf("ParseBearer of %d bytes allocated %v times", len(header), n)
		}
	}
}

func BenchmarkParseBearerHuge(b *testing.B) {
	header := "Bearer " + strings.Repeat(".", 1<<20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBearer(header); err == nil {
			b.Fatal("accepted a megabyte of dots")
		}
	}
}
