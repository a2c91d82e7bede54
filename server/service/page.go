package service

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/hiremebahamas/api/domain"
)

// Every list pages by keyset: the token names the last item's sort key, and
// the next page is what sorts after it. page does it once for all of them:
// token → cursor, size → size+1 rows asked for, and, if the extra row came,
// the last row kept → next token.

const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// pageToken is the opaque next_page_token of every list: the last item's
// sort key and id, and a digest of the query it belongs to, so that a token
// replayed with other filters or another order is refused rather than
// silently paging something else.
type pageToken struct {
	Time   time.Time `json:"t,omitzero"`
	Rank   float32   `json:"r,omitempty"`
	Salary float64   `json:"s,omitempty"`
	ID     string    `json:"i"`
	Query  string    `json:"q"`
}

// page is one page of a list: where it starts, how many items it holds, and
// the query its tokens are bound to.
type page struct {
	after *pageToken // nil: the first page
	size  int
	query any
}

// newPage reads a list request's page_token and page_size for query,
// failing with INVALID_ARGUMENT naming page_token if the token is not one
// made for it.
func newPage(token string, requested int32, query any) (page, error) {
	p := page{size: pageSize(requested), query: query}
	if token != "" {
		t, err := decodePageToken(token, query)
		if err != nil {
			return page{}, err
		}
		p.after = &t
	}
	return p, nil
}

// limit is how many items to ask the store for: one more than the page
// holds, which tells whether another page follows.
func (p page) limit() int { return p.size + 1 }

// pageOf keeps the page's items of those the store returned (at most
// limit) and makes the token of the next page, "" when there is none; key
// gives an item's sort key and id.
func pageOf[T any](p page, items []T, key func(T) pageToken) ([]T, string) {
	if len(items) <= p.size {
		return items, ""
	}
	items = items[:p.size]
	next := key(items[p.size-1])
	next.Query = queryDigest(p.query)
	return items, next.encode()
}

// queryDigest names a query for pageToken.Query.
func queryDigest(query any) string {
	b, _ := json.Marshal(query)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (t pageToken) encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// decodePageToken parses a token made for query, failing with
// INVALID_ARGUMENT naming page_token otherwise.
func decodePageToken(s string, query any) (pageToken, error) {
	bad := invalidField("page_token", "not valid for this query; start again without it")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return pageToken{}, bad
	}
	var t pageToken
	if json.Unmarshal(b, &t) != nil || t.ID == "" || t.Query != queryDigest(query) {
		return pageToken{}, bad
	}
	return t, nil
}

// pageSize applies the default and the cap.
func pageSize(requested int32) int {
	if requested <= 0 {
		return defaultPageSize
	}
	return min(int(requested), maxPageSize)
}

// timeCursor is the store's cursor of a list sorted by time, or nil on the
// first page.
func (p page) timeCursor() *domain.PageCursor {
	if p.after == nil {
		return nil
	}
	return &domain.PageCursor{Time: p.after.Time, ID: p.after.ID}
}
