package domain

import (
	"reflect"
	"testing"
)

// Every registered type is listed under the name its own method gives, so
// a stored type name always decodes into the type that wrote it.
func TestRegistryNamesEachTypeByItsOwnName(t *testing.T) {
	events, commands := domainEvents(), domainCommands()
	if len(events) != 42 || len(commands) != 39 {
		t.Errorf("registry: %d event types, %d command types; want 42 and 39", len(events), len(commands))
	}
	for name, c := range events {
		if got := reflect.New(c.typ).Elem().Interface().(Event).EventType(); got != name || c.version < 1 {
			t.Errorf("event %s: registered as %s, version %d", got, name, c.version)
		}
	}
	for name, typ := range commands {
		if got := reflect.New(typ).Elem().Interface().(Command).CommandType(); got != name {
			t.Errorf("command %s: registered as %s", got, name)
		}
	}
}
