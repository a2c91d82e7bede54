package store

import (
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hiremebahamas/api/domain"
)

// page is what a keyset list query takes to pick a page: the sort key and
// id of the last row of the page before, and how many rows to return. On
// the first page After and AfterID are zero, which the queries read as
// NULL: no lower bound. AfterID is valid exactly when there is a cursor.
type page[K any] struct {
	After   K
	AfterID pgtype.UUID
	Limit   int32
}

// pageAfter turns a cursor into a page, the one rule for every keyset list:
// no cursor is the first page, and a cursor continues after its key, as
// read by key, and its id. An id that is not a UUID is no row's, so the
// cursor is not one of this list's: INVALID_PAGE_TOKEN.
func pageAfter[C, K any](cursor *C, limit int, key func(C) (K, string)) (page[K], error) {
	p := page[K]{Limit: int32(limit)}
	if cursor == nil {
		return p, nil
	}
	k, id := key(*cursor)
	uid, ok := parseUUID(id)
	if !ok {
		return page[K]{}, pageTokenInvalid()
	}
	p.After, p.AfterID = k, uid
	return p, nil
}

// timePage is the page of a list ordered by time and id.
func timePage(cursor *domain.PageCursor, limit int) (page[pgtype.Timestamptz], error) {
	return pageAfter(cursor, limit, func(c domain.PageCursor) (pgtype.Timestamptz, string) {
		return timestamp(c.Time), c.ID
	})
}

func pageTokenInvalid() error {
	return domain.Errorf(domain.ErrInvalid, "INVALID_PAGE_TOKEN", "page_token: not valid for this query")
}
