package api

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"

	"github.com/laaledger/laaledger/domain/registry"
)

// eventSchemaFiles are the JSON Schemas (draft 2020-12) of the bodies of
// every event type, one file per type, named <type>.json. They are kept in
// the repository so that an integrator (and a reviewer of a change to an
// event's shape) can read them without running the server; a test checks
// that they are exactly what [EventSchema] derives from the Go types now,
// and `go test ./cmd/laaledger/internal/api -run TestEventSchemas -update`
// rewrites them.
//
//go:embed schemas/*.json
var eventSchemaFiles embed.FS

// SchemaDialect is the JSON Schema dialect of every event schema.
const SchemaDialect = "https://json-schema.org/draft/2020-12/schema"

// EventSchema derives the JSON Schema of the body of an event type from
// its Go type, with the generator that describes the rest of the API
// ([schemaFor], openapi3gen), translated from OpenAPI 3.0's dialect to
// JSON Schema 2020-12 (nullable becomes a "null" type). It returns the
// schema version it describes.
func EventSchema(eventType string) (schema []byte, version int, err error) {
	// DecodeEvent is the registry's one way from a type name to its Go
	// type; every registered type reads its first schema version.
	proto, err := registry.DecodeEvent(eventType, 1, []byte("{}"))
	if err != nil {
		return nil, 0, fmt.Errorf("schema of event %s: %w", eventType, err)
	}
	version = registry.EventSchemaVersion(proto)
	s, err := schemaFor(reflect.New(reflect.TypeOf(proto)).Elem().Interface(), describeAsJSONOut)
	if err != nil {
		return nil, 0, fmt.Errorf("schema of event %s: %w", eventType, err)
	}
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, 0, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, 0, err
	}
	toJSONSchema(m)
	m["$schema"] = SchemaDialect
	m["$id"] = "/v1/schemas/" + eventType
	m["title"] = fmt.Sprintf("%s v%d", eventType, version)
	m["description"] = fmt.Sprintf("The data of a ledger event of type %s, schema version %d (CloudEvents type <prefix>.%s.v%d).", eventType, version, eventType, version)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(m); err != nil {
		return nil, 0, err
	}
	return out.Bytes(), version, nil
}

// toJSONSchema rewrites an OpenAPI 3.0 schema, decoded into maps, as JSON
// Schema 2020-12 in place: "nullable": true becomes "null" among the types
// (and the enum values).
func toJSONSchema(v any) {
	switch v := v.(type) {
	case map[string]any:
		if n, _ := v["nullable"].(bool); n {
			delete(v, "nullable")
			switch t := v["type"].(type) {
			case string:
				v["type"] = []any{t, "null"}
			case []any:
				v["type"] = append(t, "null")
			}
			if e, ok := v["enum"].([]any); ok {
				v["enum"] = append(e, nil)
			}
		} else {
			delete(v, "nullable")
		}
		for _, c := range v {
			toJSONSchema(c)
		}
	case []any:
		for _, c := range v {
			toJSONSchema(c)
		}
	}
}

// eventSchemaFile returns the kept schema of an event type.
func eventSchemaFile(eventType string) ([]byte, bool) {
	if strings.ContainsAny(eventType, "/\\") || strings.HasPrefix(eventType, ".") {
		return nil, false
	}
	b, err := eventSchemaFiles.ReadFile("schemas/" + eventType + ".json")
	return b, err == nil
}

// schemaIndex lists the served schemas: GET /v1/schemas.
func (s *Server) schemaIndex(w http.ResponseWriter, r *http.Request) {
	type entry struct {
		Type string `json:"type"`
		URL  string `json:"url"`
	}
	out := struct {
		Schemas []entry `json:"schemas"`
	}{Schemas: []entry{}}
	for _, t := range registry.EventTypes() {
		if _, ok := eventSchemaFile(t); ok {
			out.Schemas = append(out.Schemas, entry{Type: t, URL: "/v1/schemas/" + t})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// eventSchema serves the JSON Schema of one event type's data:
// GET /v1/schemas/{type}.
func (s *Server) eventSchema(w http.ResponseWriter, r *http.Request) {
	t := r.PathValue("type")
	b, ok := eventSchemaFile(t)
	if !ok {
		writeProblem(w, r, problem(http.StatusNotFound, "not_found", "no schema for event type "+t))
		return
	}
	w.Header().Set("Content-Type", "application/schema+json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}
