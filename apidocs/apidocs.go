// Package apidocs holds the API's published description, embedded in the
// binary: the OpenAPI document generated from the protos and the files of
// the interactive reference page that renders it.
//
// openapi.json is written by make generate (internal/openapigen); the
// Swagger UI files in reference/ are copied by it from the swagger-ui-dist
// version pinned in package.json. index.html and init.js are written here.
package apidocs

import (
	"embed"
	"io/fs"
)

// OpenAPI is the OpenAPI 3 document of the REST API.
//
//go:embed openapi.json
var OpenAPI []byte

//go:embed reference
var reference embed.FS

// Reference holds the reference page: index.html and the files it loads.
var Reference, _ = fs.Sub(reference, "reference")
