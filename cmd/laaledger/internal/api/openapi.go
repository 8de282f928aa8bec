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

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v4"

	"github.com/laaledger/laaledger/domain"
)

// openapiYAML is the hand-kept part of the OpenAPI document: everything but
// the command paths, which [buildDocument] derives from the domain's command
// registry so that the document cannot drift from the commands the server
// accepts.
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

// buildDocument loads the hand-kept document and adds one POST path per
// command type, whose request body schema is derived from the command's Go
// struct: the same JSON field names, types and "no unknown fields" rule
// that [domain.DecodeCommand] applies.
func buildDocument(types []string) (*document, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapiYAML)
	if err != nil {
		return nil, fmt.Errorf("load openapi.yaml: %w", err)
	}
	d := &document{doc: doc, commands: map[string]bool{}}
	for _, t := range types {
		schema := openapi3.NewObjectSchema()
		schema.Description = "The fields of " + t + " are not described here; the server checks them."
		if proto, ok := commandPrototypes()[t]; ok {
			if schema, err = schemaOf(reflect.TypeOf(proto), nil); err != nil {
				return nil, fmt.Errorf("command %s: %w", t, err)
			}
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

var timeType = reflect.TypeOf(time.Time{})

// schemaOf derives a JSON schema from a Go type as encoding/json encodes
// it: exported fields by their json names, embedded structs flattened, no
// properties beyond those (DecodeCommand refuses unknown fields). Fields
// are not marked required: the domain checks presence and says which rule
// failed.
func schemaOf(t reflect.Type, seen []reflect.Type) (*openapi3.Schema, error) {
	if t == timeType {
		return openapi3.NewDateTimeSchema(), nil
	}
	if t == reflect.TypeOf(json.RawMessage{}) {
		return &openapi3.Schema{}, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		s, err := schemaOf(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		s.Nullable = true
		return s, nil
	case reflect.String:
		return openapi3.NewStringSchema(), nil
	case reflect.Bool:
		return openapi3.NewBoolSchema(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return openapi3.NewIntegerSchema(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return openapi3.NewIntegerSchema().WithMin(0), nil
	case reflect.Float32, reflect.Float64:
		return openapi3.NewFloat64Schema(), nil
	case reflect.Slice, reflect.Array:
		items, err := schemaOf(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		s := openapi3.NewArraySchema().WithItems(items)
		s.Nullable = t.Kind() == reflect.Slice
		return s, nil
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map with %s keys has no JSON schema", t.Key())
		}
		v, err := schemaOf(t.Elem(), seen)
		if err != nil {
			return nil, err
		}
		s := openapi3.NewObjectSchema().WithAdditionalProperties(v)
		s.Nullable = true
		return s, nil
	case reflect.Struct:
		for _, x := range seen {
			if x == t {
				return nil, fmt.Errorf("recursive type %s", t)
			}
		}
		s := openapi3.NewObjectSchema()
		s.AdditionalProperties = openapi3.AdditionalProperties{Has: openapi3.Ptr(false)}
		s.Properties = openapi3.Schemas{}
		if err := addFields(s, t, append(seen, t)); err != nil {
			return nil, err
		}
		return s, nil
	case reflect.Interface:
		return &openapi3.Schema{}, nil
	}
	return nil, fmt.Errorf("type %s has no JSON schema", t)
}

func addFields(s *openapi3.Schema, t reflect.Type, seen []reflect.Type) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				if err := addFields(s, ft, seen); err != nil {
					return err
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs, err := schemaOf(f.Type, seen)
		if err != nil {
			return fmt.Errorf("field %s: %w", f.Name, err)
		}
		s.Properties[name] = fs.NewRef()
	}
	return nil
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
	for _, r := range domain.LAARoles(t) {
		out = append(out, string(r))
	}
	return out
}
