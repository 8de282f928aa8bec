package domain

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"
)

var (
	commandMu       sync.RWMutex
	commandRegistry = domainCommands() // see registry.go
)

// RegisterCommand records a command type defined outside this package (a
// test's own) so that [DecodeCommand] can build it from JSON; the domain's
// own types are listed in registry.go. Registering a name twice panics.
func RegisterCommand(proto Command) {
	commandMu.Lock()
	defer commandMu.Unlock()
	addCommand(commandRegistry, proto)
}

// CommandTypes lists every registered command type, sorted.
func CommandTypes() []string {
	commandMu.RLock()
	defer commandMu.RUnlock()
	out := make([]string, 0, len(commandRegistry))
	for k := range commandRegistry {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// NewCommand returns the zero value of the command registered as typ, for
// code that describes commands rather than decodes them (the OpenAPI
// document derives each command's body schema from it).
func NewCommand(typ string) (Command, bool) {
	commandMu.RLock()
	t, ok := commandRegistry[typ]
	commandMu.RUnlock()
	if !ok {
		return nil, false
	}
	return reflect.Zero(t).Interface().(Command), true
}

// DecodeCommand builds the command named typ from its JSON body. Unknown
// fields, trailing data and wrong types are refused with an EINVALID *Error
// naming what was wrong; the command's own Validate, if it has one, runs too.
func DecodeCommand(typ string, data []byte) (Command, error) {
	commandMu.RLock()
	t, ok := commandRegistry[typ]
	commandMu.RUnlock()
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
