// Package registry is the one list of the domain's aggregate packages whose
// event and command types the ledger knows: every kind's Register function
// is called here, and nowhere else, when the package is initialised (no
// init function writes it). Its functions answer from that registry; they
// are what the application service, the projections and the front ends use
// to encode and decode events and commands. It also holds each kind's fold
// ([Fold], fold.go), to which the service adds its decisions and the read
// side what it keeps.
//
// It imports domain and the aggregate packages (domain/catalogue,
// domain/laa, domain/caa, domain/actors); none of them may import it. It must not import
// the event store, projections or anything under cmd.
package registry

import (
	"github.com/laaledger/laaledger/domain"
	"github.com/laaledger/laaledger/domain/actors"
	"github.com/laaledger/laaledger/domain/caa"
	"github.com/laaledger/laaledger/domain/catalogue"
	"github.com/laaledger/laaledger/domain/laa"
)

// types is every event and command type of the domain; a new aggregate
// package adds its Register function here.
var types = domain.NewRegistry(
	catalogue.Register,
	laa.Register,
	caa.Register,
	actors.RegisterTypes,
)

// RegisterEvent records the Go type and current schema version of an event
// type defined outside the domain's packages (a test's own), so that
// [DecodeEvent] can rebuild it. Registering a type name twice panics.
func RegisterEvent(proto domain.Event, version int) { types.RegisterEvent(proto, version) }

// RegisterCommand records a command type defined outside the domain's
// packages (a test's own) so that [DecodeCommand] can build it from JSON.
// Registering a name twice panics.
func RegisterCommand(proto domain.Command) { types.RegisterCommand(proto) }

// EventSchemaVersion returns the current schema version of an event type.
func EventSchemaVersion(e domain.Event) int { return types.EventSchemaVersion(e) }

// EventTypes lists every registered event type, sorted.
func EventTypes() []string { return types.EventTypes() }

// NewEvent returns the zero value of the event registered as typ.
func NewEvent(typ string) (domain.Event, bool) { return types.NewEvent(typ) }

// EncodeEvent returns an event's type, schema version and JSON body.
func EncodeEvent(e domain.Event) (typ string, version int, data []byte, err error) {
	return types.EncodeEvent(e)
}

// DecodeEvent rebuilds a stored event; see [domain.Registry.DecodeEvent].
func DecodeEvent(typ string, version int, data []byte) (domain.Event, error) {
	return types.DecodeEvent(typ, version, data)
}

// CommandTypes lists every registered command type, sorted.
func CommandTypes() []string { return types.CommandTypes() }

// NewCommand returns the zero value of the command registered as typ.
func NewCommand(typ string) (domain.Command, bool) { return types.NewCommand(typ) }

// DecodeCommand builds the command named typ from its JSON body; see
// [domain.Registry.DecodeCommand].
func DecodeCommand(typ string, data []byte) (domain.Command, error) {
	return types.DecodeCommand(typ, data)
}

// EventTiming returns the [domain.Timing] an event type declares (act or
// fact), 0 for a type that declares none or is not registered.
func EventTiming(typ string) domain.Timing {
	e, ok := types.NewEvent(typ)
	if !ok {
		return 0
	}
	return domain.TimingOf(e)
}
