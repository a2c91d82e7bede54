package store

import (
	"context"
	"testing"
)

func TestQuerySpanName(t *testing.T) {
	for _, tc := range []struct{ sql, want string }{
		{"-- name: GetJob :one\nSELECT id FROM jobs WHERE id = $1", "GetJob"},
		{"-- name: ListSavedJobs :many\nSELECT 1", "ListSavedJobs"},
		{"select count(*) from jobs", "SELECT"},
		{"/* search */ WITH m AS (SELECT 1) SELECT * FROM m", "WITH"},
		{"-- a note, not a query name\nUPDATE jobs SET title = $1", "UPDATE"},
	} {
		if got := querySpanName(context.Background(), tc.sql); got != tc.want {
			t.Errorf("querySpanName(%q) = %q; want %q", tc.sql, got, tc.want)
		}
	}
}
