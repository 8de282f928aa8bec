package api

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/laa"
	"github.com/laaledger/laaledger/domain/registry"

	"github.com/laaledger/laaledger/projections"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3gen"
	"go.yaml.in/yaml/v4"
)

// openapiYAML is the hand-kept part of the OpenAPI document: the paths,
// parameters and prose. Where the server reads or writes a Go type, the
// schema is generated from that type with openapi3gen instead, so that the
// two cannot drift: the command paths and their bodies (from the domain's
// command registry) and the schemas of [componentTypes]. The Go types are
// the one source of truth because the server already has them and decodes
// with them; a spec-first generator would have added a second set.
//
//go:embed openapi.yaml
var openapiYAML []byte

// document is the OpenAPI document the server serves.
type document struct {
	doc         *openapi3.T
	json, yaml  []byte
	commands    map[string]bool
	commandList []string
}

// OpenAPI returns the server's OpenAPI document, command paths included;
// tests validate requests and responses against it.
func (s *Server) OpenAPI() *openapi3.T { return s.doc.doc }

// componentTypes are the component schemas the document takes from Go
// types: the YAML gives them only their descriptions.
var componentTypes = map[string]any{"Problem": Problem{},
	"AreaAssessmentState": caa.AreaAssessment{}, "OrgAssessmentState": caa.OrgAssessment{},
	"CatalogueView": projections.CatalogueView{}}

// buildDocument loads the hand-kept document, generates the schemas of
// [componentTypes], and adds one POST path per command type, whose request
// body schema is derived from the command's Go struct: the same JSON field
// names, types and "no unknown fields" rule that [registry.DecodeCommand]
// applies.
func buildDocument(types []string) (*document, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	for name, v := range componentTypes {
		if err := generateComponent(doc, name, v); err != nil {
			return nil, err
		}
	}
	// A problem's category is a code of the HTTP status table.
	doc.Components.Schemas["Problem"].Value.Properties["category"].Value.Enum = categories()
	d := &document{doc: doc, commands: map[string]bool{}}
	for _, t := range types {
		proto, ok := registry.NewCommand(t)
		if !ok {
			return nil, fmt.Errorf("command %s is not registered", t)
		}
		schema, err := schemaFor(proto, describeAsJSON)
		if err != nil {
			return nil, fmt.Errorf("command %s: %w", t, err)
		}
		doc.Paths.Set("/v1/commands/"+t, &openapi3.PathItem{Post: commandOperation(doc, t, schema)})
		d.commands[t] = true
		d.commandList = append(d.commandList, t)
	}
	sort.Strings(d.commandList)
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi document: %w", err)
	}
	if d.json, err = json.Marshal(doc); err != nil {
		return nil, fmt.Errorf("encode openapi document: %w", err)
	}
	var v any
	if err := json.Unmarshal(d.json, &v); err != nil {
		return nil, err
	}
	if d.yaml, err = yaml.Marshal(v); err != nil {
		return nil, fmt.Errorf("encode openapi document: %w", err)
	}
	return d, nil
}

func commandOperation(doc *openapi3.T, t string, cmd *openapi3.Schema) *openapi3.Operation {
	desc := "Command " + t + ". The actor is the bearer token's; read-only roles get 403."
	if roles := commandRoles(t); len(roles) > 0 {
		desc += " Roles the domain allows: " + strings.Join(roles, ", ") + "."
	}
	body := openapi3.NewObjectSchema()
	body.Required = []string{"occurred_at", "command"}
	body.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
	body.Properties = openapi3.Schemas{
		"occurred_at":  openapi3.NewDateTimeSchema().NewRef(),
		"reason":       openapi3.NewStringSchema().NewRef(),
		"evidence":     openapi3.NewArraySchema().WithItems(openapi3.NewStringSchema()).NewRef(),
		"causation_id": openapi3.NewStringSchema().NewRef(),
		"command":      cmd.NewRef(),
	}
	body.Description = "See CommandEnvelope; `command` holds the fields of " + t + "."
	// References added after loading carry their resolved value.
	result := &openapi3.ResponseRef{Ref: "#/components/responses/CommandResult", Value: doc.Components.Responses["CommandResult"].Value}
	problemRef := &openapi3.ResponseRef{Ref: "#/components/responses/Problem", Value: doc.Components.Responses["Problem"].Value}
	op := &openapi3.Operation{
		OperationID: "command." + t,
		Summary:     t,
		Description: desc,
		Tags:        []string{"commands"},
		Parameters: openapi3.Parameters{
			{Value: openapi3.NewHeaderParameter("Idempotency-Key").WithRequired(true).
				WithDescription("Becomes the command id: new per command, the same on a retry.").
				WithSchema(&openapi3.Schema{Type: &openapi3.Types{"string"}, Pattern: "^[!-~]{1,128}$"})},
			{Value: openapi3.NewHeaderParameter("If-Match").
				WithDescription("The aggregate version the caller expects, as an ETag (\"7\"); a different version is a 412.").
				WithSchema(openapi3.NewStringSchema())},
			{Value: openapi3.NewHeaderParameter("X-Correlation-ID").
				WithDescription("Carried into the log and onto the events; generated when absent.").
				WithSchema(openapi3.NewStringSchema())},
		},
		RequestBody: &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithRequired(true).
			WithContent(openapi3.NewContentWithJSONSchema(body))},
		Responses: openapi3.NewResponses(
			openapi3.WithStatus(200, result),
			openapi3.WithStatus(201, result),
		),
	}
	op.Responses.Set("default", problemRef)
	return op
}

// generateComponent replaces the schema of component name with the one of
// v's Go type, keeping the YAML's descriptions of it and its properties.
// The schema is replaced in place: references to it were resolved when the
// YAML was loaded.
func generateComponent(doc *openapi3.T, name string, v any) error {
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("openapi.yaml has no schema %s to describe %T", name, v)
	}
	s, err := schemaFor(v, describeAsJSONOut)
	if err != nil {
		return fmt.Errorf("schema %s: %w", name, err)
	}
	prose := ref.Value
	s.Description = prose.Description
	for p, ps := range prose.Properties {
		gen, ok := s.Properties[p]
		if !ok {
			return fmt.Errorf("schema %s: openapi.yaml describes %s, which %T lacks", name, p, v)
		}
		gen.Value.Description = ps.Value.Description
	}
	*ref.Value = *s
	return nil
}

// categories lists the codes a problem's category takes: those of the
// HTTP status table.
func categories() []any {
	var out []string
	for c := range httpStatus {
		out = append(out, c)
	}
	sort.Strings(out)
	enum := make([]any, len(out))
	for i, c := range out {
		enum[i] = c
	}
	return enum
}

// schemaFor derives the JSON schema of v's Go type with openapi3gen:
// exported fields by their json names, embedded structs flattened;
// customize adds what encoding/json does that openapi3gen does not say.
func schemaFor(v any, customize openapi3gen.SchemaCustomizerFn) (*openapi3.Schema, error) {
	ref, err := openapi3gen.NewSchemaRefForValue(v, nil,
		openapi3gen.UseAllExportedFields(), openapi3gen.SchemaCustomizer(customize))
	if err != nil {
		return nil, err
	}
	return ref.Value, nil
}

var (
	timeType       = reflect.TypeOf(time.Time{})
	rawMessageType = reflect.TypeOf(json.RawMessage{})
)

// describeAsJSON completes a generated schema the way encoding/json and
// [registry.DecodeCommand] treat the type: a struct is an object with no
// properties beyond its fields (unknown fields are refused), even when it
// has none; a nil slice or map encodes as null. Fields of a command are
// not marked required: the domain checks presence and says which rule
// failed.
func describeAsJSON(_ string, t reflect.Type, _ reflect.StructTag, s *openapi3.Schema) error {
	switch t.Kind() {
	case reflect.Struct:
		if t == timeType {
			return nil
		}
		s.Type = &openapi3.Types{openapi3.TypeObject}
		if s.Properties == nil {
			s.Properties = openapi3.Schemas{}
		}
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
	case reflect.Slice:
		if t != rawMessageType {
			s.Nullable = true
		}
	case reflect.Map:
		s.Nullable = true
	case reflect.Uint64:
		s.Max = nil // 2^64-1 does not survive a float64; minimum 0 says enough
	}
	return nil
}

// describeAsJSONOut is [describeAsJSON] for what the server writes: every
// field without omitempty is always there, so it is required.
func describeAsJSONOut(name string, t reflect.Type, tag reflect.StructTag, s *openapi3.Schema) error {
	if err := describeAsJSON(name, t, tag, s); err != nil {
		return err
	}
	if t.Kind() == reflect.Struct && t != timeType {
		s.Required = alwaysWritten(t)
	}
	return nil
}

// alwaysWritten lists the json names of t's fields that encoding/json
// always writes: exported, not "-", not omitempty (embedded structs'
// fields included).
func alwaysWritten(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-" || !f.IsExported() && !f.Anonymous:
		case f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct:
			out = append(out, alwaysWritten(f.Type)...)
		case !strings.Contains(","+opts+",", ",omitempty,"):
			if name == "" {
				name = f.Name
			}
			out = append(out, name)
		}
	}
	return out
}

func (s *Server) openapiJSON(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.doc.json))
}

func (s *Server) openapiYAML(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.doc.yaml))
}

// commandRoles lists the roles the domain allows to issue a command, where
// the domain publishes them (the LAA commands); the domain still decides.
func commandRoles(t string) []string {
	var out []string
	for _, r := range laa.Roles(t) {
		out = append(out, string(r))
	}
	return out
}
