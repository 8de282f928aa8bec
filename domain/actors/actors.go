package actors

import (
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/laaledger/laaledger/domain"
)

// RegisterID is the id of the one actor register aggregate.
const RegisterID = "register"

// Ref is the actor register's aggregate.
var Ref = domain.AggregateRef{Kind: domain.KindActors, ID: RegisterID}

// Entry is one registered actor.
type Entry struct {
	ID           string      `json:"id"`
	Role         domain.Role `json:"role"`
	Organisation string      `json:"organisation"`
	// Name is the person's or system's name as shown to readers.
	Name         string    `json:"name,omitempty"`
	Active       bool      `json:"active"`
	RegisteredAt time.Time `json:"registered_at"`
	RetiredAt    time.Time `json:"retired_at,omitzero"`
}

// Register is the folded actor register.
type Register struct {
	Version int              `json:"version"`
	Actors  map[string]Entry `json:"actors,omitempty"`
	// Operators counts the active operators; the register is in use when
	// it is not zero.
	Operators int       `json:"operators"`
	LastAt    time.Time `json:"last_at,omitzero"`
}

// InUse reports whether the register decides who may act: it holds at
// least one active operator.
func (r Register) InUse() bool { return r.Operators > 0 }

// Lookup returns the entry registered under the actor id.
func (r Register) Lookup(id string) (Entry, bool) {
	e, ok := r.Actors[id]
	return e, ok
}

// List returns the entries sorted by id.
func (r Register) List() []Entry {
	out := make([]Entry, 0, len(r.Actors))
	for _, id := range slices.Sorted(maps.Keys(r.Actors)) {
		out = append(out, r.Actors[id])
	}
	return out
}

// Check reports whether the actor may act: always while the register is
// not in use, otherwise only as a registered, active actor in its
// registered role and organisation.
func (r Register) Check(a domain.Actor) error {
	if !r.InUse() {
		return nil
	}
	e, ok := r.Actors[a.ID]
	switch {
	case !ok:
		return domain.Errorf(domain.EFORBIDDEN, "actor.not_registered", "%s is not in the actor register; an operator registers actors (actors.RegisterActor)", a)
	case !e.Active:
		return domain.Errorf(domain.EFORBIDDEN, "actor.retired", "%s was retired from the actor register on %s", a, e.RetiredAt.Format(time.DateOnly))
	case e.Role != a.Role || e.Organisation != a.Organisation:
		return domain.Errorf(domain.EFORBIDDEN, "actor.mismatch", "%s is registered as %s for %q, not as %s for %q", a.ID, e.Role, e.Organisation, a.Role, a.Organisation)
	}
	return nil
}

// Commands.
type (
	// RegisterActor enters an actor in the register. An id already
	// registered and active must be retired first.
	RegisterActor struct {
		ID           string      `json:"id"`
		Role         domain.Role `json:"role"`
		Organisation string      `json:"organisation"`
		Name         string      `json:"name,omitempty"`
	}
	// RetireActor takes an active actor out of the register; its past
	// events stay as they are. The command's reason says why.
	RetireActor struct {
		ID string `json:"id"`
	}
)

func (RegisterActor) CommandType() string            { return "actors.RegisterActor" }
func (RetireActor) CommandType() string              { return "actors.RetireActor" }
func (RegisterActor) Aggregate() domain.AggregateRef { return Ref }
func (RetireActor) Aggregate() domain.AggregateRef   { return Ref }

// Validate checks the actor is complete, its role known and its
// organisation one the reference data lists for the role.
func (c RegisterActor) Validate() error {
	a := domain.Actor{ID: c.ID, Role: c.Role, Organisation: c.Organisation}
	if err := a.Validate(); err != nil {
		return err
	}
	if strings.TrimSpace(c.ID) != c.ID || strings.ContainsAny(c.ID, " \t\r\n") {
		return domain.Errorf(domain.EINVALID, "actors.bad_id", "actor id %q must not contain spaces", c.ID)
	}
	return domain.CheckOrganisation(c.Role, c.Organisation)
}

// Validate checks an id is given.
func (c RetireActor) Validate() error {
	if c.ID == "" {
		return domain.Errorf(domain.EINVALID, "actors.missing_id", "actors.RetireActor names no actor id")
	}
	return nil
}

// Events.
type (
	// ActorRegistered: an actor entered the register.
	ActorRegistered struct {
		ID           string      `json:"id"`
		Role         domain.Role `json:"role"`
		Organisation string      `json:"organisation"`
		Name         string      `json:"name,omitempty"`
		At           time.Time   `json:"at"`
	}
	// ActorRetired: an actor left the register.
	ActorRetired struct {
		ID string    `json:"id"`
		At time.Time `json:"at"`
	}
)

func (ActorRegistered) EventType() string { return "actors.ActorRegistered" }
func (ActorRetired) EventType() string    { return "actors.ActorRetired" }

// DecideRegister decides a register command: only an operator may change
// the register, in business-time order; while the register is in use the
// operator must be registered too.
func DecideRegister(r Register, m domain.Meta, cmd domain.Command) ([]domain.Event, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	if cmd == nil || cmd.Aggregate() != Ref {
		return nil, domain.Errorf(domain.EINVALID, "actors.unknown_command", "the actor register does not handle this command")
	}
	if m.Actor.Role != domain.RoleOperator {
		return nil, domain.Errorf(domain.EFORBIDDEN, "actors.operator_only", "only an operator may change the actor register; %s may not", m.Actor)
	}
	if err := r.Check(m.Actor); err != nil {
		return nil, err
	}
	if v, ok := cmd.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	if m.OccurredAt.Before(r.LastAt) {
		return nil, domain.Errorf(domain.ECONFLICT, "actors.time_order", "%s is dated %s, before the register's latest change (%s)",
			cmd.CommandType(), m.OccurredAt.Format(time.DateOnly), r.LastAt.Format(time.DateOnly))
	}
	switch c := cmd.(type) {
	case RegisterActor:
		if e, ok := r.Actors[c.ID]; ok && e.Active {
			return nil, domain.Errorf(domain.ECONFLICT, "actors.already_registered", "%s is already registered as %s for %q; retire it first to register it again", c.ID, e.Role, e.Organisation)
		}
		return []domain.Event{ActorRegistered{ID: c.ID, Role: c.Role, Organisation: c.Organisation, Name: c.Name, At: m.OccurredAt}}, nil
	case RetireActor:
		e, ok := r.Actors[c.ID]
		if !ok || !e.Active {
			return nil, domain.Errorf(domain.ENOTFOUND, "actors.not_registered", "%s is not an active actor of the register", c.ID)
		}
		if e.Role == domain.RoleOperator && r.Operators == 1 {
			return nil, domain.Errorf(domain.ECONFLICT, "actors.last_operator", "%s is the register's last active operator; register another operator first", c.ID)
		}
		return []domain.Event{ActorRetired{ID: c.ID, At: m.OccurredAt}}, nil
	}
	return nil, domain.Errorf(domain.EINVALID, "actors.unknown_command", "the actor register does not handle %s", cmd.CommandType())
}

// Apply folds one register event into the state (copying the map: a
// folded state is shared); other events leave it unchanged.
func (r Register) Apply(e domain.Event) Register {
	var at time.Time
	switch ev := e.(type) {
	case ActorRegistered:
		at = ev.At
		r.Actors = maps.Clone(r.Actors)
		if r.Actors == nil {
			r.Actors = map[string]Entry{}
		}
		r.Actors[ev.ID] = Entry{ID: ev.ID, Role: ev.Role, Organisation: ev.Organisation, Name: ev.Name, Active: true, RegisteredAt: at}
		if ev.Role == domain.RoleOperator {
			r.Operators++
		}
	case ActorRetired:
		at = ev.At
		cur, ok := r.Actors[ev.ID]
		if !ok || !cur.Active {
			return r
		}
		r.Actors = maps.Clone(r.Actors)
		cur.Active, cur.RetiredAt = false, at
		r.Actors[ev.ID] = cur
		if cur.Role == domain.RoleOperator {
			r.Operators--
		}
	default:
		return r
	}
	r.Version++
	if at.After(r.LastAt) {
		r.LastAt = at
	}
	return r
}

// RegisterTypes records the register's event and command types in a registry.
func RegisterTypes(reg *domain.Registry) {
	reg.RegisterEvents(1, nil, ActorRegistered{}, ActorRetired{})
	reg.RegisterCommands(RegisterActor{}, RetireActor{})
}
