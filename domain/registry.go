package domain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Registry knows the Go type and current schema version of every event
// type, and the Go type of every command type, so that stored events and
// commands received as JSON can be rebuilt. Each aggregate package lists its
// own types in a Register function; package domain/registry builds the one
// registry of the whole domain from those functions, in one list. A
// Registry is safe for concurrent use.
type Registry struct {
	mu       sync.RWMutex
	events   map[string]eventCodec
	commands map[string]reflect.Type
}

type eventCodec struct {
	version int
	typ     reflect.Type
	// fast, if set, decodes a schema version 1 body without reflection or
	// reports false, and encoding/json then decodes it.
	fast func(typ string, data []byte) (Event, bool)
}

// NewRegistry returns a registry holding the types that each of register
// records, in order.
func NewRegistry(register ...func(*Registry)) *Registry {
	r := &Registry{events: map[string]eventCodec{}, commands: map[string]reflect.Type{}}
	for _, f := range register {
		f(r)
	}
	return r
}

// RegisterEvents records event types with their current schema version.
// fast, if not nil, is tried first on schema version 1 bodies; it must
// decode exactly as encoding/json would or report false. Registering a type
// name twice panics.
func (r *Registry) RegisterEvents(version int, fast func(typ string, data []byte) (Event, bool), protos ...Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, proto := range protos {
		name := proto.EventType()
		if _, dup := r.events[name]; dup {
			panic("domain: event type registered twice: " + name)
		}
		r.events[name] = eventCodec{version: version, typ: structType(proto), fast: fast}
	}
}

// RegisterEvent records one event type with its current schema version.
func (r *Registry) RegisterEvent(proto Event, version int) { r.RegisterEvents(version, nil, proto) }

// RegisterCommands records command types. Registering a name twice panics.
func (r *Registry) RegisterCommands(protos ...Command) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, proto := range protos {
		name := proto.CommandType()
		if _, dup := r.commands[name]; dup {
			panic("domain: command type registered twice: " + name)
		}
		r.commands[name] = structType(proto)
	}
}

// RegisterCommand records one command type.
func (r *Registry) RegisterCommand(proto Command) { r.RegisterCommands(proto) }

func structType(proto any) reflect.Type {
	t := reflect.TypeOf(proto)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// EventSchemaVersion returns the current schema version of an event type.
func (r *Registry) EventSchemaVersion(e Event) int {
	c, _ := r.event(e.EventType())
	return c.version
}

// EventTypes lists every registered event type, sorted.
func (r *Registry) EventTypes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sortedKeys(r.events)
}

// NewEvent returns the zero value of the event registered as typ.
func (r *Registry) NewEvent(typ string) (Event, bool) {
	c, ok := r.event(typ)
	if !ok {
		return nil, false
	}
	return reflect.Zero(c.typ).Interface().(Event), true
}

// EncodeEvent returns an event's type, schema version and JSON body.
func (r *Registry) EncodeEvent(e Event) (typ string, version int, data []byte, err error) {
	c, ok := r.event(e.EventType())
	if !ok {
		return "", 0, nil, fmt.Errorf("encode event %s: type not registered", e.EventType())
	}
	data, err = json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode event %s: %w", e.EventType(), err)
	}
	return e.EventType(), c.version, data, nil
}

// DecodeEvent rebuilds a stored event. An unknown type or a version newer
// than this build knows is an error: a reader must never silently skip a
// fact it does not understand.
func (r *Registry) DecodeEvent(typ string, version int, data []byte) (Event, error) {
	c, ok := r.event(typ)
	if !ok {
		return nil, Errorf(EINVALID, "event.unknown_type", "decode event: unknown type %q", typ)
	}
	if version > c.version || version < 1 {
		return nil, Errorf(EINVALID, "event.unknown_version", "decode event %s: schema version %d not supported (this build knows 1..%d)", typ, version, c.version)
	}
	if c.version == 1 && c.fast != nil {
		if e, ok := c.fast(typ, data); ok {
			return e, nil
		}
	}
	v := reflect.New(c.typ)
	if err := json.Unmarshal(data, v.Interface()); err != nil {
		return nil, Errorf(EINVALID, "event.bad_body", "decode event %s v%d: %v", typ, version, err)
	}
	return v.Elem().Interface().(Event), nil
}

// CommandTypes lists every registered command type, sorted.
func (r *Registry) CommandTypes() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return sortedKeys(r.commands)
}

// NewCommand returns the zero value of the command registered as typ, for
// code that describes commands rather than decodes them (the OpenAPI
// document derives each command's body schema from it).
func (r *Registry) NewCommand(typ string) (Command, bool) {
	t, ok := r.command(typ)
	if !ok {
		return nil, false
	}
	return reflect.Zero(t).Interface().(Command), true
}

// DecodeCommand builds the command named typ from its JSON body. Unknown
// fields, trailing data and wrong types are refused with an EINVALID *Error
// naming what was wrong; the command's own Validate, if it has one, runs too.
func (r *Registry) DecodeCommand(typ string, data []byte) (Command, error) {
	t, ok := r.command(typ)
	if !ok {
		return nil, Errorf(EINVALID, "command.unknown_type", "unknown command type %q", typ)
	}
	if err := checkInput(t, data); err != nil {
		return nil, err
	}
	v := reflect.New(t)
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v.Interface()); err != nil {
		return nil, Errorf(EINVALID, "command.bad_json", "decode %s: %s", typ, strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return nil, Errorf(EINVALID, "command.bad_json", "decode %s: unexpected data after the JSON object", typ)
	}
	cmd := v.Elem().Interface().(Command)
	if val, ok := cmd.(interface{ Validate() error }); ok {
		if err := val.Validate(); err != nil {
			return nil, err
		}
	}
	return cmd, nil
}

// event returns the codec of the event type typ, if registered.
func (r *Registry) event(typ string) (eventCodec, bool) {
	r.mu.RLock()
	c, ok := r.events[typ]
	r.mu.RUnlock()
	return c, ok
}

// command returns the Go type of the command type typ, if registered.
func (r *Registry) command(typ string) (reflect.Type, bool) {
	r.mu.RLock()
	t, ok := r.commands[typ]
	r.mu.RUnlock()
	return t, ok
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
