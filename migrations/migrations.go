// Package migrations holds the database schema as ordered SQL files, embedded
// in the binary so that `hiremebahamas migrate` needs nothing beside it.
package migrations

import "embed"

// FS holds every migration, named NNNNN_description.sql in goose's format.
//
//go:embed *.sql
var FS embed.FS
