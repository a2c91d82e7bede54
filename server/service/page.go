package server

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"time"
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
