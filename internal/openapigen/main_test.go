package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// swagger is a small document in the shape protoc-gen-openapiv2 writes.
const swagger = `{
  "swagger": "2.0",
  "info": {"title": "x.proto", "version": "version not set"},
  "consumes": ["application/json"],
  "produces": ["application/json"],
  "paths": {
    "/v1/things/{id}": {
      "get": {"operationId": "S_GetThing", "tags": ["S"],
        "parameters": [{"name": "id", "in": "path", "required": true, "type": "string", "description": "The thing's id."}],
        "responses": {"200": {"description": "OK", "schema": {"$ref": "#/definitions/Thing"}}}}
    },
    "/v1/things/{thing.id}": {
      "patch": {"operationId": "S_UpdateThing", "tags": ["S"],
        "parameters": [
          {"name": "thing.id", "in": "path", "required": true, "type": "string"},
          {"name": "thing", "in": "body", "required": true, "schema": {"$ref": "#/definitions/Thing"}}],
        "responses": {"200": {"description": "OK", "schema": {"$ref": "#/definitions/Thing"}}}}
    },
    "/v1/things/{id}/page": {
      "get": {"operationId": "S_GetPage", "tags": ["S"],
        "parameters": [{"name": "id", "in": "path", "required": true, "type": "string"}],
        "responses": {"200": {"description": "OK", "schema": {"$ref": "#/definitions/HttpBody"}}}}
    }
  },
  "definitions": {
    "Thing": {"type": "object", "description": "A thing.", "properties": {
      "id": {"type": "string", "description": "Its id."},
      "kind": {"$ref": "#/definitions/Kind", "description": "What kind of thing."}}},
    "Kind": {"type": "string", "enum": ["KIND_UNSPECIFIED", "KIND_BIG"], "description": "Kind of thing."},
    "HttpBody": {"type": "object", "properties": {
      "content_type": {"type": "string"},
      "extensions": {"type": "array", "items": {"$ref": "#/definitions/Any"}}}},
    "Any": {"type": "object", "properties": {"@type": {"type": "string"}}}
  }
}`

func TestConvert(t *testing.T) {
	b, err := convert([]byte(swagger))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	get := func(path ...string) any {
		var v any = doc
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				t.Fatalf("%s: not an object at %q", strings.Join(path, "/"), k)
			}
			v = m[k]
		}
		return v
	}

	if got := get("openapi"); got != "3.0.3" {
		t.Errorf("openapi %v", got)
	}
	if got := get("info", "title"); got != "HireMeBahamas API" {
		t.Errorf("info.title %v", got)
	}
	// The update moves to the path of the same shape, its parameter renamed.
	paths := get("paths").(map[string]any)
	if _, ok := paths["/v1/things/{thing.id}"]; ok {
		t.Error("/v1/things/{thing.id} is still there beside /v1/things/{id}")
	}
	if got := get("paths", "/v1/things/{id}", "patch", "operationId"); got != "S_UpdateThing" {
		t.Errorf("PATCH /v1/things/{id} is %v, want S_UpdateThing", got)
	}
	params := get("paths", "/v1/things/{id}", "patch", "parameters").([]any)
	if name := params[0].(map[string]any)["name"]; len(params) != 1 || name != "id" {
		t.Errorf("UpdateThing's parameters %v, want the path parameter renamed id", params)
	}
	// A comment beside a reference survives.
	want := map[string]any{"allOf": []any{map[string]any{"$ref": "#/components/schemas/Kind"}}, "description": "What kind of thing."}
	if diff := cmp.Diff(want, get("components", "schemas", "Thing", "properties", "kind")); diff != "" {
		t.Errorf("Thing.kind (-want +got):\n%s", diff)
	}
	// HttpBody is JSON-LD on the wire, and its schemas go.
	if got := get("paths", "/v1/things/{id}/page", "get", "responses", "200", "content"); cmp.Diff([]string{"application/ld+json"}, keys(got)) != "" {
		t.Errorf("HttpBody response content %v, want application/ld+json", got)
	}
	for _, name := range []string{"HttpBody", "Any"} {
		if get("components", "schemas", name) != nil {
			t.Errorf("schema %s is left though unused", name)
		}
	}
	// Every operation answers errors in the API's shape.
	if got := get("paths", "/v1/things/{id}", "get", "responses", "default", "$ref"); got != "#/components/responses/Error" {
		t.Errorf("default response %v", got)
	}
}

func TestConvertRefusesTheSameRouteTwice(t *testing.T) {
	twice := strings.Replace(swagger, `"patch": {"operationId": "S_UpdateThing"`, `"get": {"operationId": "S_UpdateThing"`, 1)
	if _, err := convert([]byte(twice)); err == nil || !strings.Contains(err.Error(), "same route") {
		t.Errorf("convert with GET /v1/things/{id} and GET /v1/things/{thing.id}: %v, want a same-route error", err)
	}
}

func keys(v any) []string {
	var out []string
	for k := range v.(map[string]any) {
		out = append(out, k)
	}
	return out
}
