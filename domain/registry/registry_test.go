package registry

import "testing"

// Every registered type is listed under the name its own method gives, so
// a stored type name always decodes into the type that wrote it.
func TestRegistryNamesEachTypeByItsOwnName(t *testing.T) {
	events, commands := EventTypes(), CommandTypes()
	if len(events) != 44 || len(commands) != 43 {
		t.Errorf("registry: %d event types, %d command types; want 44 and 43", len(events), len(commands))
	}
	for _, name := range events {
		e, _ := NewEvent(name)
		if got := e.EventType(); got != name || EventSchemaVersion(e) < 1 {
			t.Errorf("event %s: registered as %s, version %d", got, name, EventSchemaVersion(e))
		}
	}
	for _, name := range commands {
		c, _ := NewCommand(name)
		if got := c.CommandType(); got != name {
			t.Errorf("command %s: registered as %s", got, name)
		}
	}
}
