// Command openapigen turns the Swagger 2.0 document that protoc-gen-openapiv2
// writes into the OpenAPI 3 document the service serves at /openapi.json and
// the TypeScript client is generated from.
//
// protoc-gen-openapiv2 is the stable grpc-gateway generator and can name
// fields as the REST API writes them (snake_case proto names);
// protoc-gen-openapiv3 is alpha and always uses lowerCamelCase JSON names,
// which this API never sends. kin-openapi converts the result to OpenAPI 3
// and validates it. The additions below describe what the generator cannot
// see in the protos: the API's one error shape, bearer tokens, and the
// JSON-LD body of a google.api.HttpBody response.
//
// Usage: openapigen SWAGGER_JSON OPENAPI_JSON
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: openapigen SWAGGER_JSON OPENAPI_JSON")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "openapigen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	b, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	if b, err = convert(b); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	return os.WriteFile(out, b, 0o644)
}

// convert turns a Swagger 2.0 document into the completed OpenAPI 3 one.
func convert(swagger []byte) ([]byte, error) {
	v2, err := readSwagger(swagger)
	if err != nil {
		return nil, err
	}
	doc, err := openapi2conv.ToV3(v2)
	if err != nil {
		return nil, fmt.Errorf("convert to OpenAPI 3: %w", err)
	}
	if err := complete(doc); err != nil {
		return nil, err
	}
	if err := openapi3.NewLoader().ResolveRefsIn(doc, nil); err != nil {
		return nil, fmt.Errorf("resolve references: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("the OpenAPI 3 document is invalid: %w", err)
	}
	return encode(doc)
}

func readSwagger(b []byte) (*openapi2.T, error) {
	var raw any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	b, err := json.Marshal(keepRefSiblings(raw))
	if err != nil {
		return nil, err
	}
	var v2 openapi2.T
	return &v2, json.Unmarshal(b, &v2)
}

// encode writes doc indented, with keys sorted. It goes through a generic
// value once more so that <, > and & stay readable: kin-openapi escapes them.
func encode(doc *openapi3.T) ([]byte, error) {
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var generic any
	if err := dec.Decode(&generic); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err = enc.Encode(generic)
	return out.Bytes(), err
}

// keepRefSiblings rewrites {"$ref": R, "description": D, ...} as
// {"allOf": [{"$ref": R}], "description": D, ...}. protoc-gen-openapiv2 puts a
// field's comment beside the reference to its message or enum type, and
// OpenAPI 3.0 ignores (and the conversion drops) whatever stands beside a
// $ref, which would lose the comments of every such field.
func keepRefSiblings(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			v[k] = keepRefSiblings(e)
		}
		if ref, ok := v["$ref"].(string); ok && len(v) > 1 && strings.HasPrefix(ref, "#/definitions/") {
			delete(v, "$ref")
			v["allOf"] = []any{map[string]any{"$ref": ref}}
		}
	case []any:
		for i, e := range v {
			v[i] = keepRefSiblings(e)
		}
	}
	return v
}

// additions holds what the protos do not say. Error mirrors errorBody in
// server/gateway/errors.go.
const additions = `{
  "info": {
    "title": "HireMeBahamas API",
    "version": "v1",
    "description": "The HireMeBahamas job platform: accounts and sessions, profiles, jobs, applications and saved jobs. Every call is also a gRPC method of the service named in its tag. Fields are written in snake_case; lowerCamelCase is accepted on input. Calls that need a signed-in user take an access token from AuthService: Authorization: Bearer <access_token>."
  },
  "security": [{"bearerAuth": []}, {}],
  "components": {
    "securitySchemes": {
      "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "An access token from AuthService Login, Register or Refresh."}
    },
    "responses": {
      "Error": {
        "description": "An error. The HTTP status follows the gRPC code; reason is stable and meant for code.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
      }
    },
    "schemas": {
      "Error": {
        "type": "object",
        "description": "Every REST error has this shape.",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "description": "What went wrong.",
            "required": ["code", "status", "reason", "message", "request_id"],
            "properties": {
              "code": {"type": "integer", "format": "int32", "description": "The HTTP status."},
              "status": {"type": "string", "description": "The gRPC code's name, e.g. NOT_FOUND."},
              "reason": {"type": "string", "description": "Why, for code: e.g. JOB_NOT_FOUND, DATABASE_UNAVAILABLE."},
              "message": {"type": "string", "description": "Why, for people."},
              "request_id": {"type": "string", "description": "The request's id, also in the X-Request-Id header; logs carry it."},
              "field_violations": {
                "type": "array",
                "description": "The fields that failed validation, on INVALID_ARGUMENT.",
                "items": {
                  "type": "object",
                  "required": ["field", "description"],
                  "properties": {
                    "field": {"type": "string", "description": "The field's path, e.g. salary.min."},
                    "description": {"type": "string", "description": "What is wrong with it."}
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}`

// httpBodyRef is the schema protoc-gen-openapiv2 gives a google.api.HttpBody
// response; on the wire the body is the bytes themselves. This API returns
// HttpBody only for schema.org JSON-LD.
const httpBodyRef = "#/components/schemas/HttpBody"

func complete(doc *openapi3.T) error {
	var add openapi3.T
	if err := json.Unmarshal([]byte(additions), &add); err != nil {
		return fmt.Errorf("additions: %w", err)
	}
	doc.Info = add.Info
	doc.Security = add.Security
	doc.Components.SecuritySchemes = add.Components.SecuritySchemes
	doc.Components.Responses = add.Components.Responses
	for name, s := range add.Components.Schemas {
		if doc.Components.Schemas[name] != nil {
			return fmt.Errorf("schema %s is generated from the protos too", name)
		}
		doc.Components.Schemas[name] = s
	}
	sort.Slice(doc.Tags, func(i, j int) bool { return doc.Tags[i].Name < doc.Tags[j].Name })
	if err := mergeEquivalentPaths(doc); err != nil {
		return err
	}

	for _, path := range doc.Paths.InMatchingOrder() {
		for _, op := range doc.Paths.Value(path).Operations() {
			op.Responses.Set("default", &openapi3.ResponseRef{Ref: "#/components/responses/Error"})
			for _, code := range op.Responses.Keys() {
				resp := op.Responses.Value(code).Value
				if resp == nil {
					continue
				}
				for _, media := range resp.Content {
					if media.Schema != nil && media.Schema.Ref == httpBodyRef {
						resp.Content = openapi3.Content{"application/ld+json": &openapi3.MediaType{Schema: &openapi3.SchemaRef{Value: &openapi3.Schema{
							Type:        &openapi3.Types{openapi3.TypeObject},
							Description: "A schema.org document as JSON-LD.",
						}}}}
						break
					}
				}
			}
		}
	}
	return dropUnreferenced(doc, "HttpBody", "Any")
}

var pathVariable = regexp.MustCompile(`\{[^}]*\}`)

// mergeEquivalentPaths puts operations on paths that differ only in the names
// of their variables (UpdateJob's /jobs/{job.id} and GetJob's /jobs/{id})
// under one path, renaming path parameters to match: OpenAPI 3 forbids
// such pairs, and on the wire they are the same URL.
func mergeEquivalentPaths(doc *openapi3.T) error {
	paths := doc.Paths.InMatchingOrder()
	sort.Slice(paths, func(i, j int) bool {
		if len(paths[i]) != len(paths[j]) {
			return len(paths[i]) < len(paths[j])
		}
		return paths[i] < paths[j]
	})
	kept := map[string]string{} // shape → path
	for _, path := range paths {
		shape := pathVariable.ReplaceAllString(path, "{}")
		target, ok := kept[shape]
		if !ok {
			kept[shape] = path
			continue
		}
		from, to := pathVariable.FindAllString(path, -1), pathVariable.FindAllString(target, -1)
		rename := map[string]string{}
		for i := range from {
			rename[strings.Trim(from[i], "{}")] = strings.Trim(to[i], "{}")
		}
		item := doc.Paths.Value(path)
		for method, op := range item.Operations() {
			if doc.Paths.Value(target).GetOperation(method) != nil {
				return fmt.Errorf("%s %s and %s %s are the same route", method, path, method, target)
			}
			for _, p := range op.Parameters {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath {
					p.Value.Name = rename[p.Value.Name]
				}
			}
			doc.Paths.Value(target).SetOperation(method, op)
		}
		doc.Paths.Delete(path)
	}
	return nil
}

// dropUnreferenced removes component schemas nothing refers to any more.
func dropUnreferenced(doc *openapi3.T, names ...string) error {
	for _, name := range names {
		if doc.Components.Schemas[name] == nil {
			continue
		}
		saved := doc.Components.Schemas[name]
		delete(doc.Components.Schemas, name)
		b, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), `"#/components/schemas/`+name+`"`) {
			doc.Components.Schemas[name] = saved
		}
	}
	return nil
}
