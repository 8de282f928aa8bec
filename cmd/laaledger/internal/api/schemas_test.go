package api

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/demo"
	"github.com/laaledger/laaledger/domain/registry"
)

// ledgerEventTypes are the domain's own event types: those with a kept
// schema. Test types registered by this package's tests are left out.
func ledgerEventTypes() []string {
	var out []string
	for _, t := range registry.EventTypes() {
		if !strings.HasPrefix(t, "apitest.") {
			out = append(out, t)
		}
	}
	return out
}

// compileSchema compiles a kept schema with a JSON Schema 2020-12
// validator that asserts formats (date-time).
func compileSchema(t *testing.T, typ string, b []byte) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	url := "https://laaledger.invalid/v1/schemas/" + typ
	if err := c.AddResource(url, doc); err != nil {
		t.Fatalf("%s: %v", typ, err)
	}
	s, err := c.Compile(url)
	if err != nil {
		t.Fatalf("schema of %s does not compile: %v", typ, err)
	}
	return s
}

func validateJSON(s *jsonschema.Schema, b []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(v)
}

func TestEventSchemasAreKeptForEveryEventTypeAndMatchTheGoTypes(t *testing.T) {
	types := ledgerEventTypes()
	if len(types) == 0 {
		t.Fatal("no event types registered")
	}
	kept := map[string]bool{}
	files, _ := filepath.Glob("schemas/*.json")
	for _, f := range files {
		kept[strings.TrimSuffix(filepath.Base(f), ".json")] = true
	}
	for _, typ := range types {
		want, _, err := EventSchema(typ)
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(filepath.Join("schemas", typ+".json"), want, 0o644); err != nil {
				t.Fatal(err)
			}
			delete(kept, typ)
			continue
		}
		got, ok := eventSchemaFile(typ)
		if !ok {
			t.Errorf("event type %s has no schema in schemas/ (go test -run TestEventSchemas -update)", typ)
			continue
		}
		delete(kept, typ)
		if !bytes.Equal(got, want) {
			t.Errorf("schemas/%s.json differs from its Go type; rerun with -update and review the change", typ)
		}
	}
	for typ := range kept {
		t.Errorf("schemas/%s.json names no registered event type", typ)
	}
}

// sample fills a value of type t with a non-zero value in every field, as
// a sender that sets everything would.
func sample(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	switch {
	case t == reflect.TypeOf(time.Time{}):
		v.Set(reflect.ValueOf(time.Date(2009, 3, 12, 9, 30, 0, 0, time.UTC)))
		return v
	case t == reflect.TypeOf(json.RawMessage{}):
		v.SetBytes([]byte(`{"x":1}`))
		return v
	}
	switch t.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(2)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(2)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		if depth < 4 {
			v.Set(sample(t.Elem(), depth+1).Addr())
		}
	case reflect.Slice:
		if depth < 4 {
			v.Set(reflect.Append(reflect.MakeSlice(t, 0, 1), sample(t.Elem(), depth+1)))
		}
	case reflect.Map:
		if depth < 4 && t.Key().Kind() == reflect.String {
			m := reflect.MakeMap(t)
			m.SetMapIndex(sample(t.Key(), depth+1), sample(t.Elem(), depth+1))
			v.Set(m)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if t.Field(i).IsExported() {
				v.Field(i).Set(sample(t.Field(i).Type, depth+1))
			}
		}
	}
	return v
}

func TestEventSchemasAcceptWhatTheGoTypesWriteAndTheRegistryReads(t *testing.T) {
	for _, typ := range ledgerEventTypes() {
		b, ok := eventSchemaFile(typ)
		if !ok {
			t.Errorf("%s: no schema", typ)
			continue
		}
		s := compileSchema(t, typ, b)
		proto, err := registry.DecodeEvent(typ, 1, []byte("{}"))
		if err != nil {
			t.Fatal(err)
		}
		rt := reflect.TypeOf(proto)
		for _, c := range []struct {
			desc string
			v    reflect.Value
		}{
			{"every field set", sample(rt, 0)},
			{"zero value", reflect.New(rt).Elem()},
		} {
			body, err := json.Marshal(c.v.Interface())
			if err != nil {
				t.Fatal(err)
			}
			if err := validateJSON(s, body); err != nil {
				t.Errorf("%s, %s: the schema refuses what the Go type writes, %s: %v", typ, c.desc, body, err)
			}
			// The registry reads the same bytes back to the same value.
			back, err := registry.DecodeEvent(typ, registry.EventSchemaVersion(proto), body)
			if err != nil {
				t.Errorf("%s, %s: the registry refuses %s: %v", typ, c.desc, body, err)
				continue
			}
			again, _ := json.Marshal(back)
			if !bytes.Equal(again, body) {
				t.Errorf("%s, %s: read back as %s, wrote %s", typ, c.desc, again, body)
			}
			// A field the Go type does not have is refused: the schema
			// is closed, as the type is.
			var m map[string]any
			json.Unmarshal(body, &m)
			m["not_a_field"] = 1
			extra, _ := json.Marshal(m)
			if validateJSON(s, extra) == nil {
				t.Errorf("%s: the schema accepts an unknown field", typ)
			}
		}
	}
}

func TestEveryDemoEventValidatesAgainstItsSchema(t *testing.T) {
	schemas := map[string]*jsonschema.Schema{}
	seen := map[string]int{}
	_, err := demo.Decide(demo.History(), func(_ demo.Step, events []domain.Event) {
		for _, e := range events {
			typ, _, body, err := registry.EncodeEvent(e)
			if err != nil {
				t.Fatal(err)
			}
			s := schemas[typ]
			if s == nil {
				b, ok := eventSchemaFile(typ)
				if !ok {
					t.Fatalf("%s: no schema", typ)
				}
				s = compileSchema(t, typ, b)
				schemas[typ] = s
			}
			seen[typ]++
			if err := validateJSON(s, body); err != nil {
				t.Errorf("demo event %s %s: %v", typ, body, err)
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) < 10 {
		t.Errorf("the demo gave only %d event types: %v", len(seen), seen)
	}
}

func TestSchemasAreServedWithoutAToken(t *testing.T) {
	h := newHarness(t, testKinds)
	r := h.do(req{method: "GET", path: "/v1/schemas/laa.TargetProposed"})
	if r.Status != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/schema+json") {
		t.Fatalf("%d %s %s", r.Status, r.Header.Get("Content-Type"), r.Body)
	}
	want, _ := eventSchemaFile("laa.TargetProposed")
	if !bytes.Equal(r.Body, want) {
		t.Errorf("served schema differs from the kept one")
	}
	compileSchema(t, "laa.TargetProposed", r.Body)

	r = h.do(req{method: "GET", path: "/v1/schemas"})
	var idx struct {
		Schemas []struct{ Type, URL string }
	}
	r.decode(t, &idx)
	if len(idx.Schemas) != len(ledgerEventTypes()) {
		t.Errorf("index lists %d schemas, want %d", len(idx.Schemas), len(ledgerEventTypes()))
	}
	if r := h.do(req{method: "GET", path: "/v1/schemas/laa.NoSuchEvent"}); r.Status != 404 {
		t.Errorf("unknown type: %d", r.Status)
	}
}
