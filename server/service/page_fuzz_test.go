package service

import (
	"math"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"

	"github.com/hiremebahamas/api/domain"
	"github.com/hiremebahamas/api/server/rpc"
)

// FuzzPageToken checks the page-token codec. Any string decodes without
// panicking, to a cursor bound to the query or to INVALID_PAGE_TOKEN; a
// cursor encoded for a query decodes to itself for that query and is
// refused for any other.
func FuzzPageToken(f *testing.F) {
	valid := pageToken{Time: time.Date(2026, 3, 1, 12, 0, 0, 5, time.UTC), ID: "7b0e7f52-2f0b-4a52-9a47-0d1c0f3c5a11",
		Query: queryDigest(jobListQuery{Filter: domain.JobFilter{Query: "chef"}, Order: "newest"})}.encode()
	f.Add(valid, "chef", "newest", "chef", "salary", int64(1772366400), int64(5), float32(0.25), 52000.0, "7b0e7f52-2f0b-4a52-9a47-0d1c0f3c5a11")
	f.Add("garbage", "", "", "", "", int64(0), int64(0), float32(0), 0.0, "")
	f.Add("eyJpIjoiIiwicSI6IiJ9", "", "", "x", "", int64(-62135596800), int64(0), float32(-0.0), math.Inf(1), "x")
	f.Add(valid[:len(valid)-2], "Chef", "newest", "chef", "newest", int64(253402300800), int64(0), float32(math.NaN()), -1.5, "é\u2028<>&")
	f.Fuzz(func(t *testing.T, raw, q, order, otherQ, otherOrder string, sec, nsec int64, rank float32, salary float64, id string) {
		query := jobListQuery{Filter: domain.JobFilter{Query: q}, Order: order}

		// Whatever a client sends.
		if tok, err := decodePageToken(raw, query); err != nil {
			assertPageTokenRefused(t, err)
		} else if tok.ID == "" || tok.Query != queryDigest(query) {
			t.Fatalf("accepted %q as %+v, which is not bound to the query", raw, tok)
		}

		// What the service makes.
		cursor := pageToken{Time: time.Unix(sec, nsec).UTC(), Rank: rank, Salary: salary, ID: id, Query: queryDigest(query)}
		token := cursor.encode()
		got, err := decodePageToken(token, query)
		// The service's cursors have UUIDs, times of about now and finite
		// numbers; the others are checked for what they do instead.
		switch year := cursor.Time.Year(); {
		case !finite(float64(rank)) || !finite(salary) || year < 0 || year > 9999:
			if token != "" {
				t.Fatalf("encode(%+v) = %q; want no token for a cursor JSON cannot hold", cursor, token)
			}
			return
		case id == "":
			if err == nil {
				t.Fatalf("a cursor without an id was accepted: %+v", got)
			}
			assertPageTokenRefused(t, err)
			return
		case !utf8.ValidString(id):
			return // JSON would carry U+FFFD instead
		}
		if err != nil {
			t.Fatalf("decode(encode(%+v)): %v", cursor, err)
		}
		if !got.Time.Equal(cursor.Time) || got.Rank != cursor.Rank || got.Salary != cursor.Salary || got.ID != cursor.ID || got.Query != cursor.Query {
			t.Fatalf("decode(encode(%+v)) = %+v", cursor, got)
		}

		// Bound to its query. Both transports refuse strings that are not
		// UTF-8 before a handler runs, so the queries compared are text.
		if !utf8.ValidString(q+order+otherQ+otherOrder) || q == otherQ && order == otherOrder {
			return
		}
		other := jobListQuery{Filter: domain.JobFilter{Query: otherQ}, Order: otherOrder}
		if _, err := decodePageToken(token, other); err == nil {
			t.Fatalf("a token for %+v was accepted for %+v", query, other)
		} else {
			assertPageTokenRefused(t, err)
		}
	})
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

func assertPageTokenRefused(t *testing.T, err error) {
	t.Helper()
	st, internal := rpc.ToStatus(err)
	if internal || st.Code() != codes.InvalidArgument || rpc.ReasonOf(st) != "INVALID_PAGE_TOKEN" {
		t.Fatalf("refused with %v (reason %s); want INVALID_ARGUMENT, INVALID_PAGE_TOKEN", err, rpc.ReasonOf(st))
	}
}
